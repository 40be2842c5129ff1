// A chart of the dashboard, kept from one run of the page to the next and updated in place
// (Plotly.react) rather than drawn anew. Loaded once per page, with plotly.js and the theme.
//
// Every run of the page hands each chart its figure again, changed or not: a figure equal to the
// one the chart holds (the same bytes) is left alone, and a chart out of the window is drawn
// only when it comes into view. Until then it keeps its place (its height) and, if it was drawn
// with an older figure, hides it: a reader never sees a figure the filters no longer give. A chart
// whose latest figure is not drawn yet carries the attribute `data-pending`: "waiting" (to come
// into view), then "drawing".

// Streamlit's chart element's own configuration: no plotly logo, no selection tools.
const CONFIG = {displaylogo: false, showSendToCloud: false, modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud"]};
const HEIGHT = 450;  // the element's height when the figure gives none
const MIN_WIDTH = 150;
// How near the window a chart is drawn: a little ahead of the reader's scrolling.
const AHEAD = "100px 0px";

let ready = null;

function load(plotlySrc, themeSrc) {
  if (!ready) {
    const plotly = window.Plotly ? Promise.resolve(window.Plotly) : new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = plotlySrc;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("plotly.js did not load from " + plotlySrc));
      document.head.appendChild(script);
    });
    const theme = fetch(themeSrc).then(r => {
      if (!r.ok) throw new Error("the charts' theme did not load from " + themeSrc);
      return r.json();
    });
    ready = Promise.all([plotly, theme]).catch(error => { ready = null; throw error; });
  }
  return ready;
}

// The figure as Streamlit's element draws it in the light theme: its template, the title in bold.
function themed(figure, theme, width) {
  const layout = {...figure.layout, template: theme, width, height: figure.layout.height ?? HEIGHT};
  if (layout.title !== undefined && layout.title !== null) {
    const title = typeof layout.title === "string" ? {text: layout.title} : layout.title;
    layout.title = {...title, text: `<b>${typeof title.text === "string" ? title.text : ""}</b>`};
  }
  return {data: figure.data ?? [], layout};
}

function sameBytes(a, b) {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Draw the chart's latest figure, once the drawing before it is over; a figure overtaken by a
// newer one before its turn is skipped.
function paint(chart) {
  const figure = chart.__figure;
  chart.__wanted = figure;
  chart.setAttribute("data-pending", "drawing");
  chart.__drawn = chart.__drawn.then(() => load(chart.__plotlySrc, chart.__themeSrc)).then(([Plotly, theme]) => {
    if (chart.__figure !== figure) return;
    const {data: traces, layout} = themed(figure, theme, Math.max(chart.clientWidth, MIN_WIDTH));
    return Plotly.react(chart, traces, layout, CONFIG).then(() => {
      if (chart.__figure !== figure) return;
      // the chart's accessible name: its title as drawn, line after line
      const title = chart.querySelector(".gtitle");
      const lines = title ? [...title.querySelectorAll("tspan.line")] : [];
      chart.setAttribute("aria-label", (lines.length ? lines.map(l => l.textContent).join(" ") : title?.textContent ?? "").trim());
      chart.style.visibility = "";
      chart.removeAttribute("data-pending");
    });
  }).catch(error => console.error(error));
}

export function draw({data, parentElement}, plotlySrc, themeSrc) {
  let chart = parentElement.querySelector(":scope > .ruche-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "ruche-chart";
    chart.setAttribute("role", "figure");
    chart.__drawn = Promise.resolve();
    chart.__inView = false;
    parentElement.appendChild(chart);
    chart.__view = new IntersectionObserver(entries => {
      chart.__inView = entries[entries.length - 1].isIntersecting;
      if (chart.__inView && chart.__figure && chart.__wanted !== chart.__figure) paint(chart);
    }, {rootMargin: AHEAD});
    chart.__view.observe(chart);
    // a chart taken out of the page's layout for a moment (no width: Streamlit laying out a run's
    // elements) keeps its drawing; one given another width is drawn to it
    chart.__resize = new ResizeObserver(() => {
      if (!chart.clientWidth) return;
      const width = Math.max(chart.clientWidth, MIN_WIDTH);
      if (chart._fullLayout && chart._fullLayout.width !== width) window.Plotly.relayout(chart, {width});
    });
    chart.__resize.observe(chart);
  }
  chart.__plotlySrc = plotlySrc;
  chart.__themeSrc = themeSrc;
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (!sameBytes(chart.__bytes, bytes)) {
    chart.__bytes = bytes.slice();
    const figure = JSON.parse(new TextDecoder().decode(bytes));
    chart.__figure = figure;
    chart.setAttribute("data-pending", "waiting");
    // its place kept while it waits to be drawn
    chart.style.minHeight = `${figure.layout?.height ?? HEIGHT}px`;
    if (chart.__inView) paint(chart);
    else if (chart._fullLayout) chart.style.visibility = "hidden";
  }
  return () => {
    chart.__view.disconnect();
    chart.__resize.disconnect();
    if (window.Plotly) window.Plotly.purge(chart);
  };
}
