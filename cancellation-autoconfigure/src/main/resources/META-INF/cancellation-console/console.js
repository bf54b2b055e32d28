// The operator's console of cancellation-spring-boot-starter: the client of the `cancellation` actuator endpoint.
// Plain JavaScript (an ES module, no build step, no dependency). One implementation for every host: the
// starter's own page mounts it, and so can any page that can reach the endpoint.
//
//   import { mount } from './console.js';
//   mount(element, { endpoint: '/actuator/cancellation' });
//
// It reads with GET and cancels with DELETE /{id} and POST {name}, in the operator's own browser session: it has
// no access of its own, so the endpoint's access rules and Spring Security decide, and a refusal is shown as the
// server wrote it. Every value from the server is put into the page as text, never as markup.

const LIVE_STATES = ['RUNNING', 'CANCELLING', 'CLEANING_UP', 'ABANDONED'];
const STOPPING_STATES = ['CANCELLING', 'CLEANING_UP', 'ABANDONED'];

/**
 * Shows the endpoint's tasks in `root` and refreshes them until `stop()` is called on the returned console.
 *
 * Options: `endpoint` (required) the URL of the `cancellation` endpoint; `metrics` the URL of the `metrics`
 * endpoint, for the chart (none without it); `interval` milliseconds between refreshes (2000); `fetch` the function
 * that makes the requests (the browser's by default; a host may pass its own); `headers` more request headers, sent
 * with every request (Spring Boot Admin's view sends `X-Requested-With`); `csrfHeader` the header that echoes the
 * `XSRF-TOKEN` cookie on writes (`X-XSRF-TOKEN`, Spring Security's default).
 */
export function mount(root, options) {
  const view = new Console(root, options);
  view.start();
  return view;
}

class Console {
  constructor(root, { endpoint, metrics, interval = 2000, fetch: fetchImpl, headers = {}, csrfHeader = 'X-XSRF-TOKEN' }) {
    if (!endpoint) throw new Error('mount(root, { endpoint }) needs the URL of the cancellation endpoint');
    this.root = root;
    this.endpoint = String(endpoint).replace(/\/+$/, '');
    this.metrics = metrics ? new Metrics(String(metrics).replace(/\/+$/, ''), this) : null;
    this.interval = interval;
    this.fetch = fetchImpl || ((...args) => window.fetch(...args));
    this.headers = { ...headers };
    this.csrfHeader = csrfHeader;
    this.scope = 'cluster'; // the whole fleet where there is one; the first answer tells (400 on 'scope' if not)
    this.data = null;
    this.timer = null;
    this.generation = 0; // of refreshes: only the latest one schedules the next
    this.stopped = false;
    this.build();
  }

  start() { this.stopped = false; this.refresh(); }

  stop() { this.stopped = true; clearTimeout(this.timer); }

  // ------------------------------------------------------------------------------------------ reading

  // Polls: one request at a time, the next one scheduled when this one has answered.
  async refresh() {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    try {
      let response = await this.request('GET', this.listUrl());
      if (response.status === 400 && this.scope === 'cluster' && (await problemOf(response.clone())).field === 'scope') {
        this.scope = 'local';
        response = await this.request('GET', this.listUrl());
      }
      if (!response.ok) throw new Error(await describeRefusal(response));
      this.data = await response.json();
      this.receivedAt = Date.now();
      this.setStatus(`Updated ${new Date(this.receivedAt).toLocaleTimeString()}`
        + (this.scope === 'cluster' ? ' · whole fleet' : ''), false);
      this.render();
      if (this.metrics) await this.metrics.refresh().catch(() => {}); // the chart is a bonus: never an error
    } catch (error) {
      this.setStatus(`Could not read ${this.endpoint}: ${error.message}`, true);
    }
    if (!this.stopped && !this.pause.checked && generation === this.generation) {
      this.timer = setTimeout(() => this.refresh(), this.interval);
    }
  }

  listUrl() {
    return this.scope === 'cluster' ? `${this.endpoint}?scope=cluster` : this.endpoint;
  }

  request(method, url, body) {
    const headers = { ...this.headers, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    // Spring Security's cookie CSRF repository (and Spring Boot Admin) expect the token echoed in this header
    const xsrf = document.cookie.match(/(?:^|;\s*)XSRF-TOKEN=([^;]+)/);
    if (xsrf && method !== 'GET') headers[this.csrfHeader] = decodeURIComponent(xsrf[1]);
    return this.fetch(url, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  // ------------------------------------------------------------------------------------------ cancelling

  async cancelTask(task) {
    if (!window.confirm(`Cancel task ${task.name} (${task.id})${task.instance ? ' on ' + task.instance : ''}?`)) return;
    const response = await this.request('DELETE', `${this.endpoint}/${encodeURIComponent(task.id)}`);
    await this.report(response, answer => `Cancelled ${answer.name} (${answer.id}): now ${answer.state}`);
  }

  async cancelAll(name, count) {
    const where = this.scope === 'cluster' ? ' on every instance' : '';
    if (!window.confirm(`Cancel all ${count} running task(s) named ${name}${where}?`)) return;
    const body = { name, interrupt: false, scope: this.scope };
    const response = await this.request('POST', this.endpoint, body);
    await this.report(response, answer => `Cancelled ${answer.tasks.length} task(s) named ${answer.name}`);
  }

  async report(response, describe) {
    if (response.ok) {
      this.setMessage(describe(await response.json()), false);
    } else {
      this.setMessage(`Refused: ${await describeRefusal(response)}`, true);
    }
    this.refresh();
  }

  // ------------------------------------------------------------------------------------------ the page

  build() {
    const filters = el('div', { class: 'cc-filters' },
      el('label', {}, 'Name', this.nameFilter = el('input', { type: 'search', placeholder: 'contains…', 'data-filter': 'name' })),
      el('label', {}, 'State', this.stateFilter = select('state', ['', ...LIVE_STATES])),
      el('label', {}, 'Instance', this.instanceFilter = select('instance', [''])),
      el('label', {}, 'Paused', this.pause = el('input', { type: 'checkbox', 'data-filter': 'pause' })));
    for (const input of [this.nameFilter, this.stateFilter, this.instanceFilter]) {
      input.addEventListener('input', () => this.render());
    }
    this.pause.addEventListener('change', () => (this.pause.checked ? clearTimeout(this.timer) : this.refresh()));
    this.status = el('div', { class: 'cc-status', 'data-role': 'status' }, 'Loading…');
    this.message = el('div', { class: 'cc-message', role: 'alert', 'data-role': 'message' });
    this.summary = el('div', { 'data-role': 'summary' });
    this.names = el('div', { class: 'cc-names', 'data-role': 'names' });
    this.live = el('tbody', { 'data-role': 'tasks' });
    this.history = el('tbody', { 'data-role': 'history' });
    this.chart = el('section', { 'data-role': 'metrics', hidden: 'hidden' });
    this.root.replaceChildren(
      el('h1', {}, 'Cancellation console'), this.status, this.message, filters,
      el('h2', {}, 'Running tasks'), this.summary, this.names,
      el('table', {}, head('Task', 'State', 'Age', 'Deadline left', 'Stopping for', 'Instance', 'Reason', ''),
        this.live),
      el('h2', {}, 'History: cancelled, failed and abandoned'),
      el('table', {}, head('Task', 'State', 'Ran for', 'Stopped in', 'Finished', 'Instance', 'Reason'),
        this.history), this.chart);
  }

  render() {
    if (!this.data) return;
    const { tasks = [], history = [], writable = false } = this.data;
    this.root.dataset.writable = String(writable);
    const now = serverNow(tasks, this.receivedAt);
    const instances = [...new Set([...tasks, ...history].map(t => t.instance).filter(Boolean))].sort();
    setOptions(this.instanceFilter, ['', ...instances]);
    const matches = task => (!this.nameFilter.value
        || task.name.toLowerCase().includes(this.nameFilter.value.trim().toLowerCase()))
      && (!this.stateFilter.value || task.state === this.stateFilter.value)
      && (!this.instanceFilter.value || task.instance === this.instanceFilter.value);

    const shown = tasks.filter(matches);
    const byState = count(shown, t => t.state);
    this.summary.textContent = `${shown.length} of ${tasks.length} live task(s)`
      + (byState.size ? ': ' + [...byState].map(([state, n]) => `${n} ${state}`).join(', ') : '');
    this.names.replaceChildren(...[...count(shown.filter(t => t.state === 'RUNNING'), t => t.name)].map(([name, n]) =>
      el('span', { class: 'cc-name', 'data-name': name }, `${name} × ${n} `,
        writable ? button(`Cancel all`, 'cancel-all', () => this.cancelAll(name, n), { 'data-name': name }) : '')));

    const rows = [];
    for (const node of tree(tasks)) this.addRows(rows, node, 0, matches, now, writable);
    this.live.replaceChildren(...(rows.length ? rows : [emptyRow(8, 'No live task matches.')]));

    const past = history.filter(matches).map(task => el('tr', { 'data-history-id': task.id, 'data-state': task.state },
      el('td', {}, task.name, ' ', el('span', { class: 'cc-id' }, task.id)),
      el('td', {}, stateBadge(task.state)),
      el('td', { class: 'cc-num' }, duration(task.elapsed)),
      el('td', { class: 'cc-num' }, task.reason && task.finishedAt
        ? duration(instant(task.finishedAt) - instant(task.reason.at)) : ''),
      el('td', {}, task.finishedAt ? new Date(instant(task.finishedAt)).toLocaleTimeString() : ''),
      el('td', {}, task.instance || ''),
      el('td', {}, reasonText(task.reason))));
    this.history.replaceChildren(...(past.length ? past : [emptyRow(7, 'Nothing cancelled, failed or abandoned.')]));
  }

  // Depth first; a task is shown when it or a task below it matches the filters (the others are context).
  addRows(rows, node, depth, matches, now, writable) {
    const below = [];
    for (const child of node.children) this.addRows(below, child, depth + 1, matches, now, writable);
    const task = node.task;
    if (!matches(task) && below.length === 0) return;
    const stopping = STOPPING_STATES.includes(task.state) && task.reason ? now - instant(task.reason.at) : null;
    const deadlineLeft = task.deadline ? instant(task.deadline) - now : null;
    rows.push(el('tr', {
      'data-task-id': task.id, 'data-parent-id': task.parentId || '', 'data-state': task.state,
      'data-depth': String(depth), class: matches(task) ? '' : 'cc-context',
    },
    el('td', {}, el('span', { class: 'cc-tree' }, depth ? '  '.repeat(depth - 1) + '└ ' : ''), task.name, ' ',
      el('span', { class: 'cc-id' }, task.id)),
    el('td', {}, stateBadge(task.state)),
    el('td', { class: 'cc-num' }, duration(task.elapsed)),
    el('td', { class: 'cc-num' }, deadlineLeft === null ? '' : deadlineLeft >= 0 ? duration(deadlineLeft)
      : `overdue ${duration(-deadlineLeft)}`),
    el('td', { class: 'cc-num' }, stopping === null ? '' : duration(Math.max(0, stopping))),
    el('td', {}, task.instance || ''),
    el('td', {}, reasonText(task.reason)),
    el('td', {}, writable && task.state === 'RUNNING'
      ? button('Cancel', 'cancel', () => this.cancelTask(task), { 'data-task-id': task.id }) : '')));
    rows.push(...below);
  }

  setStatus(text, error) {
    this.status.replaceChildren(el('span', { class: error ? 'cc-error' : '' }, text));
  }

  setMessage(text, refused) {
    this.message.className = `cc-message ${refused ? 'cc-refused' : 'cc-done'}`;
    this.message.dataset.outcome = refused ? 'refused' : 'done';
    this.message.textContent = text;
  }
}

// ------------------------------------------------------------------------------------------ metrics

const WINDOW = 10 * 60 * 1000; // what the chart covers: the last 10 minutes (since the page opened, at most)
const COLORS = { requested: '#2563eb', timeout: '#b45309', shutdown: '#6b7280' };

// Cancels per reason and stop latency, from the meters in /actuator/metrics when it is exposed: read every 10 s,
// kept in the page (the meters are cumulative, the chart shows what changed while the page was open).
class Metrics {
  constructor(url, view) {
    this.url = url;
    this.view = view;
    this.samples = [];
    this.readAt = 0;
  }

  async refresh() {
    if (this.off || Date.now() - this.readAt < 10000) return;
    this.readAt = Date.now();
    const names = await this.read('');
    if (!names) {
      this.off = true; // not exposed, not allowed, or no Micrometer: no chart
      return;
    }
    const has = name => (names.names || []).includes(name);
    const sample = { at: Date.now(), reasons: {}, count: 0, total: 0 }; // a meter not there yet has seen nothing
    if (has('cancellation.cancelled')) {
      const all = await this.read('/cancellation.cancelled');
      const reasons = ((all && all.availableTags) || []).find(tag => tag.tag === 'reason');
      for (const reason of (reasons ? reasons.values : [])) {
        sample.reasons[reason] = stat(await this.read(`/cancellation.cancelled?tag=reason:${encodeURIComponent(reason)}`), 'COUNT');
      }
    }
    if (has('cancellation.stop.latency')) {
      const latency = await this.read('/cancellation.stop.latency');
      sample.count = stat(latency, 'COUNT');
      sample.total = stat(latency, 'TOTAL_TIME') * 1000; // the timer's base unit is seconds
      sample.max = stat(latency, 'MAX') * 1000;
    }
    if (has('cancellation.stop.latency.percentile')) {
      for (const phi of ['0.5', '0.99']) {
        const value = stat(await this.read(`/cancellation.stop.latency.percentile?tag=phi:${phi}`), 'VALUE');
        if (value !== null) sample[`p${phi}`] = value * 1000;
      }
    }
    this.samples = [...this.samples.filter(old => sample.at - old.at <= WINDOW), sample];
    this.render();
  }

  async read(path) {
    const response = await this.view.request('GET', this.url + path);
    return response.ok ? response.json() : null;
  }

  render() {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const reasons = Object.keys(last.reasons).sort();
    const minutes = Math.max(1, Math.round((last.at - first.at) / 60000));
    const rows = reasons.map(reason => el('li', { 'data-reason': reason },
      el('span', { style: `color:${COLORS[reason] || '#111'}` }, '■ '),
      `${reason}: ${last.reasons[reason] - (first.reasons[reason] || 0)} cancel(s)`));
    const stopped = last.count - first.count;
    const latency = [
      stopped > 0 ? `mean ${duration((last.total - first.total) / stopped)} over ${stopped} stop(s)` : 'no stop',
      last.max ? `max ${duration(last.max)} (recent)` : '',
      last['p0.5'] !== undefined ? `p50 ${duration(last['p0.5'])}` : '',
      last['p0.99'] !== undefined ? `p99 ${duration(last['p0.99'])}` : '',
    ].filter(Boolean).join(' · ');
    this.view.chart.hidden = false;
    this.view.chart.replaceChildren(el('h2', {}, `Cancels and stop latency, last ${minutes} minute(s)`),
      this.sparkline(reasons), el('ul', { class: 'cc-names' }, ...rows),
      el('div', { 'data-role': 'latency' }, `Stop latency: ${latency}`));
  }

  // Cumulative cancels per reason since the window's start, one line each.
  sparkline(reasons) {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 300 60');
    svg.setAttribute('width', '300');
    svg.setAttribute('height', '60');
    const first = this.samples[0];
    const span = Math.max(1, this.samples[this.samples.length - 1].at - first.at);
    const top = Math.max(1, ...this.samples.flatMap(s => reasons.map(r => (s.reasons[r] || 0) - (first.reasons[r] || 0))));
    for (const reason of reasons) {
      const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
      line.setAttribute('points', this.samples.map(s => `${(300 * (s.at - first.at)) / span},`
        + `${58 - (56 * ((s.reasons[reason] || 0) - (first.reasons[reason] || 0))) / top}`).join(' '));
      line.setAttribute('fill', 'none');
      line.setAttribute('stroke', COLORS[reason] || '#111');
      svg.append(line);
    }
    return svg;
  }
}

function stat(metric, statistic) {
  const measurement = ((metric && metric.measurements) || []).find(m => m.statistic === statistic);
  return measurement ? measurement.value : null;
}

// ------------------------------------------------------------------------------------------ helpers

// The endpoint's tasks as trees: a task whose parent is not listed is a root. Keeps the endpoint's order.
function tree(tasks) {
  const nodes = new Map(tasks.map(task => [task.id, { task, children: [] }]));
  const roots = [];
  for (const node of nodes.values()) {
    const parent = node.task.parentId && nodes.get(node.task.parentId);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

// The server's clock at the answer, from a live task (started + elapsed), so that a skewed browser clock does
// not skew the ages; the browser's own clock when nothing runs.
function serverNow(tasks, receivedAt) {
  const local = tasks.find(task => task.startedAt && !task.finishedAt);
  return local ? instant(local.startedAt) + local.elapsed + (Date.now() - receivedAt) : Date.now();
}

// ISO-8601 instants with up to nanoseconds, to epoch milliseconds.
const instant = text => Date.parse(String(text).replace(/(\.\d{3})\d+/, '$1'));

function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

const reasonText = reason => (reason ? `${reason.kind}: ${reason.message} (by ${reason.origin})` : '');

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

// What the server said, as it said it: a problem detail's status, title and detail, or the status line.
async function describeRefusal(response) {
  const text = await response.text();
  try {
    const problem = JSON.parse(text);
    return [problem.status || response.status, problem.title || problem.error, problem.detail || problem.message]
      .filter(Boolean).join(' ');
  } catch {
    return `${response.status} ${response.statusText}${text ? ': ' + text.slice(0, 300) : ''}`.trim();
  }
}

function count(items, key) {
  const counts = new Map();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) || 0) + 1);
  return new Map([...counts].sort(([a], [b]) => String(a).localeCompare(String(b))));
}

function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(name, value);
  }
  element.append(...children.filter(child => child !== '' && child !== null && child !== undefined));
  return element;
}

function select(filter, values) {
  const element = el('select', { 'data-filter': filter });
  setOptions(element, values);
  return element;
}

// Replaces the options only when they changed, so that an open list and the chosen value survive a refresh.
function setOptions(element, values) {
  const current = [...element.options].map(option => option.value);
  if (current.length === values.length && current.every((value, i) => value === values[i])) return;
  const chosen = element.value;
  element.replaceChildren(...values.map(value => el('option', { value }, value || 'all')));
  element.value = values.includes(chosen) ? chosen : '';
}

const head = (...titles) => el('thead', {}, el('tr', {}, ...titles.map(title => el('th', {}, title))));

const emptyRow = (columns, text) => el('tr', {}, el('td', { colspan: String(columns), class: 'cc-empty' }, text));

const stateBadge = state => el('span', { class: `cc-state cc-state-${state}` }, state);

function button(text, action, onClick, attributes) {
  const element = el('button', { type: 'button', class: 'cc-cancel', 'data-action': action, ...attributes }, text);
  element.addEventListener('click', onClick);
  return element;
}
