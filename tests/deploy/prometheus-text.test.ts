// The test-support readers: metric names out of PromQL, samples out of the text exposition.
import { describe, expect, it } from 'vitest';
import { baseName, metricNames, parseExposition, total } from './prometheus-text.ts';

describe('metricNames', () => {
  it('skips functions, aggregations and their label lists, matchers, ranges, strings and keywords', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, stage) (rate(hf_order_stage_latency_seconds_bucket{stage="total"}[5m])))',
      ),
    ).toEqual(['hf_order_stage_latency_seconds_bucket']);
    expect(metricNames('sum(rate(a_total[1m])) by (strategy) / on (strategy) group_left b')).toEqual([
      'a_total',
      'b',
    ]);
    expect(metricNames('max(x) == 1 unless max(y) == 1 and bool z or vector(0)')).toEqual(['x', 'y', 'z']);
    expect(metricNames('label_replace(up, "a", "$1", "b", "(.*)") offset 5m')).toEqual(['up']);
    expect(metricNames('hf:order_reject_ratio:rate5m > 0.005 and hf:x:y * 300 >= 1e2')).toEqual([
      'hf:order_reject_ratio:rate5m',
      'hf:x:y',
    ]);
    expect(metricNames('-sum by (currency) (fees{strategy=~"$strategy"})')).toEqual(['fees']);
  });

  it('gives a histogram series its base name', () => {
    expect(baseName('h_seconds_bucket')).toBe('h_seconds');
    expect(baseName('h_seconds_count')).toBe('h_seconds');
    expect(baseName('c_total')).toBe('c_total');
  });
});

describe('parseExposition', () => {
  it('reads names, labels (escaped quotes too) and values, skipping comments', () => {
    const samples = parseExposition(
      [
        '# HELP a_total help',
        '# TYPE a_total counter',
        'a_total{strategy="x",reason="say \\"hi\\""} 3',
        'a_total{strategy="y",reason="r"} 4',
        'b 1.5e-3',
        'h_bucket{le="+Inf"} 7',
        '',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'a_total', labels: { strategy: 'x', reason: 'say "hi"' }, value: 3 },
      { name: 'a_total', labels: { strategy: 'y', reason: 'r' }, value: 4 },
      { name: 'b', labels: {}, value: 0.0015 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: 7 },
    ]);
    expect(total(samples, 'a_total')).toBe(7);
    expect(total(samples, 'a_total', { strategy: 'y' })).toBe(4);
  });
});
