// The traffic charts: one uPlot per figure, a line per worker (or per percentile). A chart is rebuilt
// only when its set of lines changes; otherwise each poll just hands uPlot the new columns.
import uPlot from 'uplot';
import { h } from './dom.js';

const PALETTE = ['#2b7bd8', '#e8590c', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#c2255c', '#5c7cfa', '#74b816', '#868e96'];

/** Costs per interval are tiny (a few millionths of a dollar): keep two significant digits there. */
function tick(v: number): string {
  return v !== 0 && Math.abs(v) < 0.01 ? v.toPrecision(2) : String(+v.toFixed(2));
}

export interface Line {
  label: string;
  values: (number | null)[];
}

export class Chart {
  readonly element: HTMLElement;
  readonly #body: HTMLElement;
  readonly #unit: string;
  #plot: uPlot | null = null;
  #labels = '';

  constructor(title: string, unit: string, id: string) {
    this.#unit = unit;
    this.#body = h('div');
    this.element = h('figure', { className: 'chart' }, h('h3', {}, title), this.#body);
    this.element.id = `chart-${id}`;
  }

  /** `t` in ms since the epoch; every line lines up with it. */
  update(t: readonly number[], lines: readonly Line[]): void {
    const labels = lines.map((l) => l.label).join('\n');
    const data: uPlot.AlignedData = [t.map((ms) => ms / 1000), ...lines.map((l) => l.values)];
    if (this.#plot !== null && labels === this.#labels) {
      this.#plot.setData(data);
      return;
    }
    this.#plot?.destroy();
    this.#labels = labels;
    const unit = this.#unit;
    this.#plot = new uPlot({
      width: Math.max(320, this.#body.clientWidth || 440),
      height: 180,
      series: [
        {},
        ...lines.map((line, i) => ({ label: line.label, stroke: PALETTE[i % PALETTE.length]!, width: 1.5, spanGaps: false, points: { show: false } })),
      ],
      axes: [{}, { size: 64, values: (_u: uPlot, ticks: number[]) => ticks.map((v) => `${tick(v)}${unit}`) }],
      scales: { y: { range: (_u: uPlot, min: number, max: number) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      legend: { live: true },
    }, data, this.#body);
  }
}
