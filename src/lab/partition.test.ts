import { describe, expect, it } from 'vitest';
import { parseIptables, translate, untranslate } from './partition.js';

const x = { address: '127.0.10.2', octet: 2 };

describe('parseIptables', () => {
  it.each([
    [
      '-w -I INPUT -s 127.0.10.1 -j DROP -m comment --comment kha',
      { op: 'I', chain: 'INPUT', peer: '127.0.10.1', comment: 'kha' },
    ],
    ['-A OUTPUT -d 127.0.10.3/32 -j DROP', { op: 'A', chain: 'OUTPUT', peer: '127.0.10.3' }],
    [
      '-w 5 -D INPUT -m comment --comment c -s 127.0.10.1 -j DROP',
      { op: 'D', chain: 'INPUT', peer: '127.0.10.1', comment: 'c' },
    ],
    ['-C OUTPUT -d 127.0.10.1 -j DROP', { op: 'C', chain: 'OUTPUT', peer: '127.0.10.1' }],
    ['-I INPUT 1 -s 127.0.10.1 -j DROP', { op: 'I', chain: 'INPUT', position: 1, peer: '127.0.10.1' }],
    ['-S', { op: 'S' }],
    ['-S OUTPUT', { op: 'S', chain: 'OUTPUT' }],
  ])('%s', (line, expected) => {
    expect(parseIptables(line.split(' '))).toEqual(expected);
  });

  it.each([
    ['-I INPUT -d 127.0.10.1 -j DROP', /INPUT rules take -s/],
    ['-I OUTPUT -s 127.0.10.1 -j DROP', /OUTPUT rules take -d/],
    ['-I INPUT -s 127.0.10.1 -j ACCEPT', /only -j DROP/],
    ['-I FORWARD -s 127.0.10.1 -j DROP', /unsupported chain FORWARD/],
    ['-I INPUT -s 127.0.10.1 -p tcp -j DROP', /unsupported argument '-p'/],
    ['-I INPUT -s example.com -j DROP', /IPv4 address/],
    ['-F', /unsupported argument '-F'/],
    ['-t nat -I INPUT -s 127.0.10.1 -j DROP', /filter table/],
  ])('refuses %s', (line, message) => {
    expect(() => parseIptables(line.split(' '))).toThrow(message);
  });
});

describe('translate / untranslate', () => {
  it('drops what the peer sends to this master (INPUT -s P)', () => {
    const rule = { op: 'I', chain: 'INPUT', peer: '127.0.10.1', comment: 'kha' } as const;
    const args = translate(rule, x);
    expect(args).toEqual(
      '-w -I KHA-LAB-2 -d 127.0.10.2/32 -m owner --uid-owner 64001 -m comment --comment kha -j DROP'.split(
        ' ',
      ),
    );
  });

  it('drops what this master sends to the peer (OUTPUT -d P)', () => {
    const args = translate({ op: 'D', chain: 'OUTPUT', peer: '127.0.10.3' }, x);
    expect(args).toEqual('-w -D KHA-LAB-2 -d 127.0.10.3/32 -m owner --uid-owner 64002 -j DROP'.split(' '));
  });

  it('lists saved rules back in the form the engine wrote', () => {
    expect(
      untranslate(
        '-A KHA-LAB-2 -d 127.0.10.2/32 -m owner --uid-owner 64001 -m comment --comment "a b" -j DROP',
        x,
      ),
    ).toBe('-A INPUT -s 127.0.10.1/32 -m comment --comment "a b" -j DROP');
    expect(untranslate('-A KHA-LAB-2 -d 127.0.10.3/32 -m owner --uid-owner 64002 -j DROP', x)).toBe(
      '-A OUTPUT -d 127.0.10.3/32 -j DROP',
    );
    expect(untranslate('-N KHA-LAB-2', x)).toBeUndefined();
    expect(
      untranslate('-A KHA-LAB-3 -d 127.0.10.3/32 -m owner --uid-owner 64002 -j DROP', x),
    ).toBeUndefined();
  });
});
