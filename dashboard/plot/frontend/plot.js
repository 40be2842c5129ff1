// A chart of the dashboard, kept from one run of the page to the next and updated in place
// (Plotly.react) rather than drawn anew. Loaded once per page, with plotly.js and the theme.

// Streamlit's chart element's own configuration: no plotly logo, no selection tools.
const CONFIG = {displaylogo: false, showSendToCloud: false, modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud"]};
const HEIGHT = 450;  // the element's height when the figure gives none
const MIN_WIDTH = 150;

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

export function draw({data, parentElement}, plotlySrc, themeSrc) {
  let chart = parentElement.querySelector(":scope > .ruche-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "ruche-chart";
    chart.setAttribute("role", "figure");
    parentElement.appendChild(chart);
  }
  const figure = JSON.parse(new TextDecoder().decode(data));
  chart.__figure = figure;
  // one drawing at a time per chart; a figure overtaken by a newer one before its turn is skipped
  chart.__drawn = (chart.__drawn || Promise.resolve()).then(() => load(plotlySrc, themeSrc)).then(([Plotly, theme]) => {
    if (chart.__figure !== figure) return;
    const {data: traces, layout} = themed(figure, theme, Math.max(chart.clientWidth, MIN_WIDTH));
    return Plotly.react(chart, traces, layout, CONFIG).then(() => {
      // the chart's accessible name: its title as drawn, line after line
      const title = chart.querySelector(".gtitle");
      const lines = title ? [...title.querySelectorAll("tspan.line")] : [];
      chart.setAttribute("aria-label", (lines.length ? lines.map(l => l.textContent).join(" ") : title?.textContent ?? "").trim());
    });
  }).catch(error => console.error(error));
  if (!chart.__resize) {
    chart.__resize = new ResizeObserver(() => {
      const width = Math.max(chart.clientWidth, MIN_WIDTH);
      if (chart._fullLayout && chart._fullLayout.width !== width) window.Plotly.relayout(chart, {width});
    });
    chart.__resize.observe(chart);
  }
  return () => {
    chart.__resize.disconnect();
    if (window.Plotly) window.Plotly.purge(chart);
  };
}
