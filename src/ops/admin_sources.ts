/**
 * Where the admin listener gets its answers. One process: from the gateway itself. GATEWAY_WORKERS > 1:
 * the primary runs the admin listener and asks every worker over the cluster's IPC channel, so /metrics
 * covers all workers (prom-client's AggregatorRegistry) and /readyz is ready only when every worker is.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { AdminSources } from './admin_server';
import type { GatewayOperations } from './gateway_operations';
import { mergeReports, type ReadinessReport } from './readiness';

const READYZ_REQUEST = 'psd2-gateway:readyz';
const READYZ_RESPONSE = 'psd2-gateway:readyz-result';
/** A worker that does not answer in time counts as not ready. */
const WORKER_ANSWER_MS = 3_000;

interface ReadyzMessage {
  type: string;
  id?: number;
  report?: ReadinessReport;
}

export function localAdminSources(operations: GatewayOperations): AdminSources {
  const { registry } = operations.metrics;
  return {
    readiness: () => operations.readiness.report(),
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** In a worker: answer the primary's metrics and readiness requests from this worker's gateway. */
export function answerPrimary(operations: GatewayOperations): void {
  AggregatorRegistry.setRegistries([operations.metrics.registry]);
  // Constructing one installs prom-client's worker-side message listener.
  new AggregatorRegistry();
  process.on('message', (message: ReadyzMessage) => {
    if (message?.type !== READYZ_REQUEST) return;
    void operations.readiness.report().then((report) => {
      process.send?.({ type: READYZ_RESPONSE, id: message.id, report });
    });
  });
}

/** In the primary: the admin listener's answers gathered from every worker. */
export function clusterAdminSources(): AdminSources & { startDraining(): void } {
  const aggregator = new AggregatorRegistry();
  let draining = false;
  let nextId = 0;
  const pending = new Map<number, (worker: string, report: ReadinessReport) => void>();
  cluster.on('message', (worker, message: ReadyzMessage) => {
    if (message?.type !== READYZ_RESPONSE || message.id === undefined || message.report === undefined) return;
    pending.get(message.id)?.(`worker ${worker.id}`, message.report);
  });

  const askWorkers = (): Promise<ReadinessReport> => {
    const workers = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => w !== undefined && w.isConnected(),
    );
    const id = nextId++;
    return new Promise((resolve) => {
      const answers: { worker: string; report: ReadinessReport }[] = [];
      const finish = () => {
        pending.delete(id);
        clearTimeout(timer);
        const silent = workers
          .filter((w) => !answers.some((a) => a.worker === `worker ${w.id}`))
          .map((w) => ({
            worker: `worker ${w.id}`,
            report: {
              ready: false,
              checks: [{ name: 'answers', ok: false, reason: 'no answer from the worker' }],
            },
          }));
        resolve(mergeReports([...answers, ...silent]));
      };
      const timer = setTimeout(finish, WORKER_ANSWER_MS);
      pending.set(id, (worker, report) => {
        answers.push({ worker, report });
        if (answers.length === workers.length) finish();
      });
      for (const worker of workers) worker.send({ type: READYZ_REQUEST, id });
      if (workers.length === 0) finish();
    });
  };

  return {
    startDraining: () => {
      draining = true;
    },
    readiness: async () => {
      const report = await askWorkers();
      if (!draining) return report;
      return {
        ready: false,
        checks: [{ name: 'not_draining', ok: false, reason: 'the primary is stopping' }, ...report.checks],
      };
    },
    metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
  };
}
