// Charts drawn as SVG by hand (docs/decisions/0014-console-toolchain.md): a
// line chart of a series over time and a stacked bar chart of days. Labels
// are text nodes; colours come from CSS classes (s0..s5), so dark mode and
// the CSP's style-src 'self' both hold.
import { num } from '../lib/i18n';

const W = 640;
const H = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

export interface LinePoint {
    x: number;  // epoch ms
    y: number;
}

export function LineChart(props: { label: string; points: LinePoint[]; xLabel: (x: number) => string; id?: string }) {
    const { points } = props;
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    const y1 = Math.max(1, ...ys);
    const sx = (x: number) => PAD.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
    const sy = (y: number) => H - PAD.bottom - (y / y1) * (H - PAD.top - PAD.bottom);
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    return (
        <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.label} data-chart={props.id}>
            <Axes yMax={y1} />
            {points.length > 0 && <text class="tick" x={PAD.left} y={H - 8}>{props.xLabel(x0)}</text>}
            {points.length > 1 && (
                <text class="tick" x={W - PAD.right} y={H - 8} text-anchor="end">{props.xLabel(x1)}</text>
            )}
            <path class="line s0" d={d} />
            {points.length === 1 && <circle class="dot s0" cx={sx(points[0].x)} cy={sy(points[0].y)} r="4" />}
        </svg>
    );
}

function Axes(props: { yMax: number }) {
    return (
        <g>
            <line class="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
            <line class="grid" x1={PAD.left} y1={PAD.top} x2={W - PAD.right} y2={PAD.top} />
            <text class="tick" x={PAD.left - 6} y={PAD.top + 4} text-anchor="end">{num(props.yMax)}</text>
            <text class="tick" x={PAD.left - 6} y={H - PAD.bottom} text-anchor="end">0</text>
        </g>
    );
}

export interface Bar {
    label: string;                       // the x label (a short day)
    title: string;                       // what a hover says
    segments: { series: number; value: number }[];
    estimate?: boolean;                  // drawn hatched: not an exact figure
    error?: number;                      // an error bar of ± this much around the total
}

export function BarChart(props: { label: string; bars: Bar[]; id?: string }) {
    const { bars } = props;
    const totals = bars.map((b) => b.segments.reduce((s, x) => s + x.value, 0) + (b.error ?? 0));
    const y1 = Math.max(1, ...totals);
    const inner = W - PAD.left - PAD.right;
    const step = bars.length ? inner / bars.length : inner;
    const bw = Math.min(48, Math.max(2, step * 0.7));
    const sy = (y: number) => (y / y1) * (H - PAD.top - PAD.bottom);
    const labelEvery = Math.max(1, Math.ceil(bars.length / 8));
    return (
        <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.label} data-chart={props.id}>
            <Axes yMax={y1} />
            {bars.map((b, i) => {
                let base = H - PAD.bottom;
                const x = PAD.left + i * step + (step - bw) / 2;
                const total = b.segments.reduce((s, seg) => s + seg.value, 0);
                return (
                    <g key={i} class={b.estimate ? 'bar estimate' : 'bar'}>
                        <title>{b.title}</title>
                        {b.segments.map((seg, j) => {
                            const h = sy(seg.value);
                            base -= h;
                            return <rect key={j} class={`s${seg.series % 6}`} x={x} y={base} width={bw} height={h} />;
                        })}
                        {b.error !== undefined && b.error > 0 && (
                            <g class="errorbar">
                                <line x1={x + bw / 2} x2={x + bw / 2}
                                    y1={H - PAD.bottom - sy(total + b.error)} y2={H - PAD.bottom - sy(Math.max(0, total - b.error))} />
                                <line x1={x + bw / 4} x2={x + (3 * bw) / 4}
                                    y1={H - PAD.bottom - sy(total + b.error)} y2={H - PAD.bottom - sy(total + b.error)} />
                                <line x1={x + bw / 4} x2={x + (3 * bw) / 4}
                                    y1={H - PAD.bottom - sy(Math.max(0, total - b.error))}
                                    y2={H - PAD.bottom - sy(Math.max(0, total - b.error))} />
                            </g>
                        )}
                        {i % labelEvery === 0 && (
                            <text class="tick" x={x + bw / 2} y={H - 8} text-anchor="middle">{b.label}</text>
                        )}
                    </g>
                );
            })}
        </svg>
    );
}

export function Legend(props: { items: { series: number; label: string }[] }) {
    return (
        <ul class="legend">
            {props.items.map((it) => (
                <li key={it.label}>
                    <span class={`swatch s${it.series % 6}`} aria-hidden="true" />
                    {it.label}
                </li>
            ))}
        </ul>
    );
}
