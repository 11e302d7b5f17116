/** Bad input from the user (flag, key, value, file): exit code 2 and nothing written. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
