/**
 * Repeats `attempt` every quarter second until it resolves (a bank process or a circuit breaker
 * recovering, a background resend landing); after `tries` attempts the last failure is thrown. Tests wait
 * for an outcome this way, never for a fixed time.
 */
export async function eventually<T>(attempt: () => Promise<T>, tries = 120): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw last;
}
