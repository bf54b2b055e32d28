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
 * Options: `endpoint` (required) the URL of the `cancellation` endpoint; `interval` milliseconds between refreshes
 * (2000); `fetch` the function that makes the requests (the browser's by default; a host may pass its own).
 */
export function mount(root, options) {
  const view = new Console(root, options);
  view.start();
  return view;
}

class Console {
  constructor(root, { endpoint, interval = 2000, fetch: fetchImpl }) {
    if (!endpoint) throw new Error('mount(root, { endpoint }) needs the URL of the cancellation endpoint');
    this.root = root;
    this.endpoint = String(endpoint).replace(/\/+$/, '');
    this.interval = interval;
    this.fetch = fetchImpl || ((...args) => window.fetch(...args));
    this.scope = 'cluster'; // the whole fleet where there is one; the first answer tells (400 on 'scope' if not)
    this.data = null;
    this.timer = null;
    this.generation = 0; // of refreshes: only the latest one schedules the next
    this.stopped = false;
    this.build();
  }

  start() {
    this.stopped = false;
    this.refresh();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

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
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    // Spring Security's cookie CSRF repository (and Spring Boot Admin) expect the token echoed in this header
    const xsrf = document.cookie.match(/(?:^|;\s*)XSRF-TOKEN=([^;]+)/);
    if (xsrf && method !== 'GET') headers['X-XSRF-TOKEN'] = decodeURIComponent(xsrf[1]);
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
      label('Name', this.nameFilter = el('input', { type: 'search', placeholder: 'contains…', 'data-filter': 'name' })),
      label('State', this.stateFilter = select('state', ['', ...LIVE_STATES])),
      label('Instance', this.instanceFilter = select('instance', [''])),
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
    this.root.replaceChildren(
      el('h1', {}, 'Cancellation console'), this.status, this.message, filters,
      el('h2', {}, 'Running tasks'), this.summary, this.names,
      el('table', {}, head('Task', 'State', 'Age', 'Deadline left', 'Stopping for', 'Instance', 'Reason', ''),
        this.live),
      el('h2', {}, 'History: cancelled, failed and abandoned'),
      el('table', {}, head('Task', 'State', 'Ran for', 'Stopped in', 'Finished', 'Instance', 'Reason'),
        this.history));
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
function instant(text) {
  return Date.parse(String(text).replace(/(\.\d{3})\d+/, '$1'));
}

function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

function reasonText(reason) {
  return reason ? `${reason.kind}: ${reason.message} (by ${reason.origin})` : '';
}

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

function label(text, control) {
  return el('label', {}, text, control);
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

function head(...titles) {
  return el('thead', {}, el('tr', {}, ...titles.map(title => el('th', {}, title))));
}

function emptyRow(columns, text) {
  return el('tr', {}, el('td', { colspan: String(columns), class: 'cc-empty' }, text));
}

function stateBadge(state) {
  return el('span', { class: `cc-state cc-state-${state}` }, state);
}

function button(text, action, onClick, attributes) {
  const element = el('button', { type: 'button', class: 'cc-cancel', 'data-action': action, ...attributes }, text);
  element.addEventListener('click', onClick);
  return element;
}
