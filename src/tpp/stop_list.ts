import type { Logger } from '../audit/logger';

/** One entry of the bank's TPP stop list. */
export interface TppBlock {
  /** An organizationIdentifier or an RFC 8705 x5t#S256 leaf thumbprint. */
  subject: string;
  reason: string;
  blockedAt: string;
}

export interface StopListSource {
  list(): Promise<TppBlock[]>;
  /** Changes with every block and unblock; cheap to read. */
  version(): Promise<number>;
}

export interface BlockableIdentity {
  organizationIdentifier: string;
  thumbprintS256: string;
}

/**
 * The stop list as its readers consult it: the trust gate on every request, and the PSU's authorisation of
 * a consent or payment, which happens in a browser without the TPP's certificate.
 */
export interface TppStopList {
  /** At once when the list in memory is fresh (the trust gate waits only for a re-read), else a promise. */
  blockOf(identity: BlockableIdentity): TppBlock | undefined | Promise<TppBlock | undefined>;
}

/** How often, at most, the running gateway asks the store whether the list changed. */
export const STOP_LIST_POLL_MS = 1000;

/**
 * The stop list as the trust gate consults it on every request. Blocks are written by another process
 * (the CLI) into the shared store, so the list is re-read when its version row moved, checked at most
 * once per poll interval and only when a request asks: a block reaches open keep-alive connections
 * within that interval, without a timer and without a query per request.
 */
export class StopListView implements TppStopList {
  private blocks = new Map<string, TppBlock>();
  private loadedVersion: number | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  /** The refresh under way, and how many notices had arrived when it started. */
  private refreshing: { done: Promise<void>; invalidations: number } | undefined;
  /** Bumped by invalidate(): a refresh that started before must not count as a fresh look. */
  private invalidations = 0;

  constructor(
    private readonly source: StopListSource,
    private readonly options: { logger?: Logger; pollMs?: number; now?: () => number } = {},
  ) {}

  /** The first read, at start: unlike later refreshes, a failure here stops the gateway. */
  async load(): Promise<void> {
    const version = await this.source.version();
    await this.replace(version);
    this.checkedAt = this.now();
  }

  /**
   * The block that stops this TPP, if any: at once while the list in memory is fresh (every request
   * within a poll interval of the last look), else once it has been re-read.
   */
  blockOf(identity: BlockableIdentity): TppBlock | undefined | Promise<TppBlock | undefined> {
    if (this.now() - this.checkedAt >= (this.options.pollMs ?? STOP_LIST_POLL_MS)) {
      return this.refreshSeeing(this.invalidations).then(() => this.blockIn(identity));
    }
    return this.blockIn(identity);
  }

  private blockIn(identity: BlockableIdentity): TppBlock | undefined {
    return this.blocks.get(identity.thumbprintS256) ?? this.blocks.get(identity.organizationIdentifier);
  }

  /**
   * Waits for a refresh that started after the notices counted so far. One that was already running
   * when a notice came may have read the list before the block committed: it is waited for (one refresh
   * at a time) and then a newer one is, which every request waiting meanwhile shares.
   */
  private async refreshSeeing(invalidations: number): Promise<void> {
    for (;;) {
      const running = this.refreshing ?? this.startRefresh();
      await running.done;
      if (running.invalidations >= invalidations) return;
    }
  }

  private startRefresh(): { done: Promise<void>; invalidations: number } {
    const invalidations = this.invalidations;
    const entry = {
      invalidations,
      done: this.refresh().finally(() => {
        if (this.refreshing === entry) this.refreshing = undefined;
        if (invalidations === this.invalidations) this.checkedAt = this.now();
      }),
    };
    this.refreshing = entry;
    return entry;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * A change notice (PostgreSQL, another instance or the CLI): the next request re-reads the list instead
   * of waiting for the poll interval.
   */
  invalidate(): void {
    this.invalidations++;
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private async replace(version: number): Promise<void> {
    const blocks = await this.source.list();
    this.blocks = new Map(blocks.map((b) => [b.subject, b]));
    this.loadedVersion = version;
  }

  private async refresh(): Promise<void> {
    try {
      const version = await this.source.version();
      if (version === this.loadedVersion) return;
      await this.replace(version);
    } catch (error) {
      // The last list read stays in force; the next request after the interval tries again.
      this.options.logger?.warn(
        { event: 'tpp_stop_list_unreadable', error: (error as Error).message },
        'the TPP stop list could not be re-read; the last one read stays in force',
      );
    }
  }
}
