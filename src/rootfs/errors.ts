/** A rootfs nslab cannot provide; the message is one sentence naming the problem and the fix. */
export class RootfsError extends Error {
  override name = 'RootfsError';
}
