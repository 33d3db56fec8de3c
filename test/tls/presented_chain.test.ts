import { createHash } from 'node:crypto';
import { leafThumbprintOf, thumbprintS256, type PresentedChain } from '../../src/tls/presented_chain';

describe('leafThumbprintOf', () => {
  it("is the leaf's x5t#S256, hashed once per chain object", () => {
    const leaf = Buffer.from('not really DER, but bytes all the same');
    const chain: PresentedChain = { leaf, intermediates: [], source: 'tls' };
    const expected = createHash('sha256').update(leaf).digest('base64url');
    const update = jest.spyOn(createHash('sha256').constructor.prototype, 'update');
    try {
      expect(leafThumbprintOf(chain)).toBe(expected);
      expect(leafThumbprintOf(chain)).toBe(expected);
      expect(update).toHaveBeenCalledTimes(1);
    } finally {
      update.mockRestore();
    }
    expect(thumbprintS256(leaf)).toBe(expected);
    expect(leafThumbprintOf({ ...chain, leaf: Buffer.from('another leaf') })).not.toBe(expected);
  });
});
