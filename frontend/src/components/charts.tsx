// Charts (lightweight-charts): an instrument's 1-minute candles with the forming bar built from live quotes,
// and the intraday PnL by strategy.

import {
  CandlestickSeries,
  ColorType,
  createChart,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useRef, type ReactNode } from 'react';
import type { BarView, TickView } from '../live.ts';
import type { PnlPoint } from '../rest.ts';

const THEME = {
  layout: { background: { type: ColorType.Solid, color: '#11161d' }, textColor: '#9aa7b4', fontSize: 11 },
  grid: { vertLines: { color: '#1b232d' }, horzLines: { color: '#1b232d' } },
  rightPriceScale: { borderColor: '#26303b' },
  timeScale: { borderColor: '#26303b', timeVisible: true, secondsVisible: false },
  crosshair: { mode: 0 },
} as const;

const PALETTE = ['#4cc3ff', '#ffb020', '#a57bff', '#3ddc97', '#ff6b8b', '#e8e36a', '#6be8d9'];

function useChart(
  container: React.RefObject<HTMLDivElement | null>,
  height: number,
): React.RefObject<IChartApi | null> {
  const chart = useRef<IChartApi | null>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const created = createChart(element, { ...THEME, height, autoSize: true });
    chart.current = created;
    return () => {
      chart.current = null;
      created.remove();
    };
  }, [container, height]);
  return chart;
}

interface LiveBar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** Candles of the selected instrument; quotes between bars move the last (forming) one. */
export function PriceChart(props: {
  readonly candles: readonly BarView[];
  readonly tick: TickView | undefined;
}): ReactNode {
  const container = useRef<HTMLDivElement>(null);
  const chart = useChart(container, 260);
  const series = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const mids = useRef<ISeriesApi<'Line'> | null>(null);
  const forming = useRef<LiveBar | null>(null);
  const lastClosed = useRef(0);
  const lastMidTime = useRef(0);

  useEffect(() => {
    const api = chart.current;
    if (!api) return undefined;
    const created = api.addSeries(CandlestickSeries, {
      upColor: '#3ddc97',
      downColor: '#ff6b8b',
      borderVisible: false,
      wickUpColor: '#3ddc97',
      wickDownColor: '#ff6b8b',
    });
    const line = api.addSeries(LineSeries, {
      color: '#4cc3ff',
      lineWidth: 1,
      title: 'mid',
      priceLineVisible: false,
      lastValueVisible: true,
    });
    series.current = created;
    mids.current = line;
    return () => {
      series.current = null;
      mids.current = null;
      if (chart.current === api) {
        api.removeSeries(created);
        api.removeSeries(line);
      }
    };
  }, [chart]);

  useEffect(() => {
    const s = series.current;
    if (!s) return;
    const data = props.candles.map((bar) => ({
      // A bar is stamped at its close: plot it at its open minute.
      time: (Math.floor(bar.tsEvent / 1_000_000 / 60) * 60 - 60) as UTCTimestamp,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
    }));
    const unique = data.filter((d, i) => i === 0 || d.time > (data[i - 1]?.time ?? 0));
    lastClosed.current = unique[unique.length - 1]?.time ?? 0;
    forming.current = null;
    s.setData(unique);
    mids.current?.setData([]);
    lastMidTime.current = 0;
  }, [props.candles]);

  useEffect(() => {
    const s = series.current;
    const tick = props.tick;
    if (!s || !tick) return;
    const mid =
      tick.bid !== undefined && tick.ask !== undefined
        ? (tick.bid + tick.ask) / 2
        : (tick.price ?? tick.bid ?? tick.ask);
    if (mid === undefined || !Number.isFinite(mid)) return;
    const minute = Math.floor(tick.tsEvent / 1_000_000 / 60) * 60;
    if (minute <= lastClosed.current) return;
    const bar = forming.current;
    if (!bar || bar.time !== minute)
      forming.current = { time: minute, open: mid, high: mid, low: mid, close: mid };
    else {
      bar.high = Math.max(bar.high, mid);
      bar.low = Math.min(bar.low, mid);
      bar.close = mid;
    }
    const f = forming.current;
    if (f) s.update({ ...f, time: f.time as UTCTimestamp });
    // The mid, one point a second (the last quote of the second).
    const second = Math.floor(tick.tsEvent / 1_000_000);
    if (second >= lastMidTime.current) {
      lastMidTime.current = second;
      mids.current?.update({ time: second as UTCTimestamp, value: mid });
    }
  }, [props.tick]);

  return <div className="chart" ref={container} data-testid="price-chart" />;
}

/** PnL by strategy and for the portfolio, one point per poll since the page opened. */
export function PnlChart(props: { readonly points: readonly PnlPoint[] }): ReactNode {
  const container = useRef<HTMLDivElement>(null);
  const chart = useChart(container, 200);
  const lines = useRef(new Map<string, ISeriesApi<'Line'>>());

  useEffect(() => {
    const api = chart.current;
    if (!api) return;
    const names = new Set<string>();
    for (const point of props.points) for (const name of Object.keys(point.values)) names.add(name);
    for (const name of names) {
      let line = lines.current.get(name);
      if (!line) {
        line = api.addSeries(LineSeries, {
          color:
            name === 'portfolio' ? '#e6edf3' : (PALETTE[lines.current.size % PALETTE.length] ?? '#4cc3ff'),
          lineWidth: name === 'portfolio' ? 2 : 1,
          title: name,
          priceLineVisible: false,
        });
        lines.current.set(name, line);
      }
      line.setData(
        props.points
          .filter((p) => p.values[name] !== undefined)
          .map((p) => ({ time: p.time as UTCTimestamp, value: p.values[name] ?? 0 })),
      );
    }
  }, [chart, props.points]);

  return <div className="chart" ref={container} data-testid="pnl-chart" />;
}
