import { clipped, ExpiringMemory, MAX_REMEMBERED_TEXT } from './expiring_memory';

describe('ExpiringMemory', () => {
  it('answers until the entry expires, then forgets it', () => {
    const memory = new ExpiringMemory<string>(10);
    memory.set('http://ocsp.example/', 'down', 2000, 1000);
    expect(memory.get('http://ocsp.example/', 1999)).toBe('down');
    expect(memory.get('http://ocsp.example/', 2000)).toBeUndefined();
    expect(memory.size).toBe(0);
  });

  it('makes room by dropping expired entries first, then the oldest written', () => {
    const memory = new ExpiringMemory<number>(3);
    memory.set('a', 1, 5000, 0);
    memory.set('b', 2, 100, 0);
    memory.set('c', 3, 5000, 0);
    // Full: b has expired at 200, so it goes and a stays.
    memory.set('d', 4, 5000, 200);
    expect(['a', 'b', 'c', 'd'].map((k) => memory.get(k, 200))).toEqual([1, undefined, 3, 4]);
    // Full with nothing expired: a, written first, goes; rewriting c made it the newest.
    memory.set('c', 5, 5000, 300);
    memory.set('e', 6, 5000, 300);
    expect(['a', 'c', 'd', 'e'].map((k) => memory.get(k, 300))).toEqual([undefined, 5, 4, 6]);
    memory.set('f', 7, 5000, 300);
    expect(['c', 'd', 'e', 'f'].map((k) => memory.get(k, 300))).toEqual([5, undefined, 6, 7]);
    expect(memory.size).toBe(3);
  });

  it('keys by digest, so a long location costs no more than a short one', () => {
    const memory = new ExpiringMemory<string>(2);
    const long = `http://ocsp.example/${'x'.repeat(100_000)}`;
    memory.set(long, 'down', 10, 0);
    expect(memory.get(long, 1)).toBe('down');
    expect(memory.get(`${long}y`, 1)).toBeUndefined();
    expect(() => new ExpiringMemory(0)).toThrow(RangeError);
  });

  it('clips remembered text', () => {
    expect(clipped('short')).toBe('short');
    expect(clipped('y'.repeat(10_000))).toHaveLength(MAX_REMEMBERED_TEXT);
  });
});
