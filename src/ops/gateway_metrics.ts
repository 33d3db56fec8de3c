/**
 * The gateway's Prometheus metrics, one registry per gateway instance (tests run several in one
 * process). Figures that already live elsewhere (verdict-cache counts, certificate and CRL expiry,
 * consents by status) are read when scraped instead of being pushed on the hot path.
 *
 * With GATEWAY_WORKERS > 1 every worker keeps its own registry and the primary's admin listener merges
 * them (prom-client's AggregatorRegistry): counters and histograms add up; the `aggregator` of each gauge
 * says how its per-worker values combine.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** Where a status-count gauge gets its figures (consents from the store; payments when they exist). */
export type StatusCounts = () => Promise<ReadonlyMap<string, number>>;

/** Seconds-until-expiry figures: anchor, server certificate, each CRL's nextUpdate. */
export interface ExpirySource {
  certificates(): { name: string; notAfter: Date }[];
  crls(): { name: string; nextUpdate: Date | undefined }[];
}

export interface CacheStats {
  hits: number;
  misses: number;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5];

/** Label children cached by value: prom-client hashes the label set on every call otherwise. */
class ChildCache<T> {
  private readonly children = new Map<string, T>();
  constructor(private readonly make: (value: string) => T) {}
  get(value: string): T {
    let child = this.children.get(value);
    if (child === undefined) this.children.set(value, (child = this.make(value)));
    return child;
  }
}

/**
 * Requests counted by operation and status in plain numbers, added to the prom-client counter when it is
 * scraped: an increment through prom-client hashes and validates the label set every time, which cost
 * more than the rest of a request's metrics together.
 */
class RequestCounts {
  private pending = new Map<string, Map<number, number>>();

  add(operation: string, status: number): void {
    let byStatus = this.pending.get(operation);
    if (byStatus === undefined) this.pending.set(operation, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  /** Hands the counts gathered since the last call to `inc`, and starts again from zero. */
  drainInto(inc: (labels: { operation: string; status: string }, count: number) => void): void {
    const drained = this.pending;
    this.pending = new Map();
    for (const [operation, byStatus] of drained)
      for (const [status, count] of byStatus) inc({ operation, status: String(status) }, count);
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new RequestCounts();
  private readonly latency: ChildCache<{ observe(v: number): void }>;
  private readonly refusals: ChildCache<{ inc(): void }>;
  private readonly storeLatency: Histogram;
  private readonly storeErrors: Counter;
  private readonly bankLatency: ChildCache<{ observe(v: number): void }>;
  private readonly bankErrors: ChildCache<{ inc(): void }>;
  readonly auditDropped: Counter;
  private readonly statusSources = new Map<string, StatusCounts>();
  private expiry: ExpirySource | undefined;
  private cache: CacheStats | undefined;
  private auditQueue: (() => number) | undefined;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });
    const requests = () => this.requests;
    new Counter({
      name: 'psd2_http_requests_total',
      help: 'Requests on the TPP port by operation and HTTP status',
      labelNames: ['operation', 'status'],
      registers,
      collect() {
        requests().drainInto((labels, count) => this.inc(labels, count));
      },
    });
    const latency = new Histogram({
      name: 'psd2_http_request_duration_seconds',
      help: 'Time from request to response on the TPP port, by operation',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.latency = new ChildCache((operation) => latency.labels(operation));
    const refusals = new Counter({
      name: 'psd2_trust_gate_refusals_total',
      help: 'Requests the trust gate refused, by Berlin Group code',
      labelNames: ['code'],
      registers,
    });
    this.refusals = new ChildCache((code) => refusals.labels(code));
    this.storeLatency = new Histogram({
      name: 'psd2_store_query_duration_seconds',
      help: 'Database statement latency',
      buckets: STORE_BUCKETS,
      registers,
    });
    this.storeErrors = new Counter({
      name: 'psd2_store_query_errors_total',
      help: 'Database statements that failed',
      registers,
    });
    const bankLatency = new Histogram({
      name: 'psd2_bank_connector_duration_seconds',
      help: "Latency of calls to the bank's systems, by operation",
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.bankLatency = new ChildCache((operation) => bankLatency.labels(operation));
    const bankErrors = new Counter({
      name: 'psd2_bank_connector_errors_total',
      help: "Failed calls to the bank's systems, by operation",
      labelNames: ['operation'],
      registers,
    });
    this.bankErrors = new ChildCache((operation) => bankErrors.labels(operation));
    this.auditDropped = new Counter({
      name: 'psd2_audit_events_dropped_total',
      help: 'Audit events dropped because the write queue was full',
      registers,
    });

    // collect() runs with `this` bound to the metric: the sources are reached through these.
    const cache = () => this.cache;
    const expiry = () => this.expiry;
    const statusSources = () => this.statusSources;
    const auditQueue = () => this.auditQueue;
    new Counter({
      name: 'psd2_verdict_cache_lookups_total',
      help: 'Certificate verdict cache lookups by result',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        const stats = cache();
        if (stats === undefined) return;
        this.inc({ result: 'hit' }, stats.hits);
        this.inc({ result: 'miss' }, stats.misses);
      },
    });
    new Gauge({
      name: 'psd2_certificate_expiry_seconds',
      help: 'Seconds until the certificate expires (trust anchor, server certificate)',
      labelNames: ['certificate'],
      aggregator: 'min',
      registers,
      collect() {
        this.reset();
        for (const c of expiry()?.certificates() ?? [])
          this.set({ certificate: c.name }, (c.notAfter.getTime() - Date.now()) / 1000);
      },
    });
    new Gauge({
      name: 'psd2_crl_next_update_seconds',
      help: "Seconds until each CRL's nextUpdate (negative: stale)",
      labelNames: ['crl'],
      aggregator: 'min',
      registers,
      collect() {
        this.reset();
        for (const c of expiry()?.crls() ?? [])
          if (c.nextUpdate !== undefined)
            this.set({ crl: c.name }, (c.nextUpdate.getTime() - Date.now()) / 1000);
      },
    });
    new Gauge({
      name: 'psd2_resources',
      help: 'Consents and payments in the store, by kind and status',
      labelNames: ['kind', 'status'],
      // Every worker reads the same store: the figures are not added up.
      aggregator: 'max',
      registers,
      async collect() {
        this.reset();
        for (const [kind, counts] of statusSources()) {
          try {
            for (const [status, n] of await counts()) this.set({ kind, status }, n);
          } catch {
            // The store's own error counter and /readyz report an unreachable store.
          }
        }
      },
    });
    new Gauge({
      name: 'psd2_audit_queue_length',
      help: 'Audit events waiting for their batch write',
      registers,
      collect() {
        this.set(auditQueue()?.() ?? 0);
      },
    });
  }

  /** One finished request on the TPP port. `refusalCode`: set when the trust gate refused it. */
  request(operation: string, status: number, seconds: number, refusalCode?: string): void {
    this.requests.add(operation, status);
    this.latency.get(operation).observe(seconds);
    if (refusalCode !== undefined) this.refusals.get(refusalCode).inc();
  }

  storeQuery(seconds: number, ok: boolean): void {
    this.storeLatency.observe(seconds);
    if (!ok) this.storeErrors.inc();
  }

  /** The hook the bank connector calls around each call to the bank's systems. */
  bankCall(operation: string, seconds: number, ok: boolean): void {
    this.bankLatency.get(operation).observe(seconds);
    if (!ok) this.bankErrors.get(operation).inc();
  }

  statusCounts(kind: 'consents' | 'payments' | (string & {}), counts: StatusCounts): void {
    this.statusSources.set(kind, counts);
  }

  expirySource(source: ExpirySource): void {
    this.expiry = source;
  }

  verdictCache(stats: CacheStats): void {
    this.cache = stats;
  }

  auditQueueLength(length: () => number): void {
    this.auditQueue = length;
  }

  metric(name: string): Metric | undefined {
    return this.registry.getSingleMetric(name);
  }
}
