/**
 * Request counts are gathered in plain numbers and added to the prom-client counter when it is scraped:
 * each scrape must show every request since the start, once, whatever was scraped before.
 */
import { AggregatorRegistry } from 'prom-client';
import { GatewayMetrics } from '../../src/ops/gateway_metrics';

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('request counts', () => {
  it('are cumulative across scrapes, per operation and status', async () => {
    const metrics = new GatewayMetrics();
    metrics.request('getBalances', 200, 0.001);
    metrics.request('getBalances', 200, 0.002);
    metrics.request('getBalances', 429, 0.001);
    let text = await metrics.registry.metrics();
    expect(sample(text, 'psd2_http_requests_total', 'operation="getBalances",status="200"')).toBe(2);
    expect(sample(text, 'psd2_http_requests_total', 'operation="getBalances",status="429"')).toBe(1);
    text = await metrics.registry.metrics();
    expect(sample(text, 'psd2_http_requests_total', 'operation="getBalances",status="200"')).toBe(2);
    metrics.request('getBalances', 200, 0.003);
    metrics.request('createConsent', 201, 0.003, undefined);
    text = await metrics.registry.metrics();
    expect(sample(text, 'psd2_http_requests_total', 'operation="getBalances",status="200"')).toBe(3);
    expect(sample(text, 'psd2_http_requests_total', 'operation="createConsent",status="201"')).toBe(1);
    expect(sample(text, 'psd2_http_request_duration_seconds_count', 'operation="getBalances"')).toBe(4);
  });

  it('add up over workers the way prom-client aggregates them', async () => {
    const workers = [new GatewayMetrics(), new GatewayMetrics()];
    workers.forEach((m, i) => {
      for (let n = 0; n <= i; n++) m.request('getBalances', 200, 0.001);
    });
    const aggregated = AggregatorRegistry.aggregate(
      await Promise.all(workers.map((m) => m.registry.getMetricsAsJSON())),
    );
    const text = await aggregated.metrics();
    expect(sample(text, 'psd2_http_requests_total', 'operation="getBalances",status="200"')).toBe(3);
  });
});
