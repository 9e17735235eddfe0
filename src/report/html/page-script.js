// The page's behaviour (cnnscope report --html): pan and zoom, expanding and collapsing blocks,
// search, the details panel. The graph of each fold level is laid out ahead (its SVG markup in an
// inert <script type="image/svg+xml">, parsed only when the level is first shown); expanding a block moves to the next level where it is split, collapsing a group to the
// level where it is one node. Plain browser JavaScript, no library, no request.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('data').textContent);
  const svg = document.getElementById('graph');
  const viewport = document.getElementById('viewport');
  const details = document.getElementById('details');
  const levelText = document.getElementById('level');
  const found = document.getElementById('found');
  const markup = data.levels.map((_, i) => document.getElementById('level-' + i));
  const keys = data.levels.map((lv) => new Set(lv.keys));
  let level = -1;
  let view = { k: 1, x: 0, y: 0 };
  let selected = null;

  function apply() {
    viewport.setAttribute('transform', 'translate(' + view.x + ',' + view.y + ') scale(' + view.k + ')');
  }

  function fit() {
    const lv = data.levels[level];
    const w = svg.clientWidth || 800;
    const k = Math.min(1, (w - 24) / lv.width);
    view = { k: k, x: (w - lv.width * k) / 2, y: 8 };
    apply();
  }

  function show(index) {
    if (index === level) return;
    level = index;
    // innerHTML of an SVG element parses SVG elements.
    viewport.innerHTML = markup[index].textContent;
    const lv = data.levels[index];
    levelText.textContent =
      (lv.depth === null ? 'every layer' : 'folded to depth ' + lv.depth) +
      ' · ' +
      (lv.nodes - 1) +
      ' nodes · level ' +
      (index + 1) +
      ' of ' +
      data.levels.length;
    selected = null;
  }

  function inLevel(index, key) {
    return keys[index].has(key);
  }

  function element(key, kind) {
    return viewport.querySelector('.' + kind + '[data-key="' + CSS.escape(key) + '"]');
  }

  /** Centres an element of the current level in the pane, at a readable zoom. */
  function centre(el) {
    const box = el.getBBox();
    const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(el.getAttribute('transform') || '');
    const x = box.x + (m ? +m[1] : 0) + box.width / 2;
    const y = box.y + (m ? +m[2] : 0) + Math.min(box.height, 200) / 2;
    view.k = Math.max(view.k, 0.8);
    view.x = svg.clientWidth / 2 - x * view.k;
    view.y = Math.min(svg.clientHeight / 2, 80 + (box.height * view.k) / 2) - y * view.k;
    apply();
  }

  function select(el) {
    if (selected) selected.classList.remove('sel');
    selected = el;
    if (el) el.classList.add('sel');
  }

  function showDetails(key) {
    const entries = data.items[key];
    if (!entries) return;
    const labels = data.labels[key[0]];
    const table = document.createElement('table');
    const row = function (label, text, value) {
      const tr = table.insertRow();
      const th = document.createElement('th');
      th.textContent = label;
      const td = document.createElement('td');
      td.textContent = text;
      td.dataset.figure = label;
      if (value !== undefined) td.dataset.value = String(value);
      tr.append(th, td);
    };
    row('name', key.slice(2));
    entries.forEach(function (e, i) {
      if (typeof e === 'string') row(labels[i], e);
      else row(labels[i], e[0].toLocaleString('en-US') + e[1], e[0]);
    });
    const h = document.createElement('h2');
    h.textContent = (key[0] === 'B' ? 'Block ' : 'Layer ') + key.slice(2);
    details.replaceChildren(h, table);
  }

  /** Expands block `name`: the next level where it is no longer one node, focused on its group. */
  function expand(name) {
    const key = 'B:' + name;
    for (let i = level + 1; i < data.levels.length; i++) {
      if (inLevel(i, key)) continue;
      show(i);
      const group = element(key, 'cluster');
      showDetails(key);
      if (group) {
        select(group);
        centre(group);
      }
      return;
    }
  }

  /** Collapses group `name`: the deepest earlier level where it is one node. */
  function collapse(name) {
    const key = 'B:' + name;
    for (let i = level - 1; i >= 0; i--) {
      if (!inLevel(i, key)) continue;
      show(i);
      const node = element(key, 'node');
      showDetails(key);
      select(node);
      centre(node);
      return;
    }
  }

  /** Shows a layer (or a block) by key: the current level if it is a node there, else the first level where it is. */
  function reveal(key) {
    if (!inLevel(level, key)) {
      for (let i = 0; i < data.levels.length; i++) {
        if (inLevel(i, key)) {
          show(i);
          break;
        }
      }
    }
    const node = element(key, 'node');
    if (!node) return false;
    showDetails(key);
    select(node);
    centre(node);
    node.focus({ preventScroll: true });
    return true;
  }

  function activate(el, fromTitle) {
    const key = el.dataset.key;
    if (el.classList.contains('cluster')) {
      if (fromTitle) collapse(key.slice(2));
      return;
    }
    if (el.classList.contains('block')) expand(key.slice(2));
    else {
      showDetails(key);
      select(el);
    }
  }

  // Pointer: drag pans; a click (no drag) activates what it hits.
  let drag = null;
  svg.addEventListener('pointerdown', function (e) {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
  });
  svg.addEventListener('pointermove', function (e) {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      svg.setPointerCapture(e.pointerId);
      svg.classList.add('panning');
    }
    view.x = drag.vx + dx;
    view.y = drag.vy + dy;
    apply();
  });
  function endDrag() {
    svg.classList.remove('panning');
    setTimeout(function () {
      drag = null;
    });
  }
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.addEventListener('click', function (e) {
    if (drag && drag.moved) return;
    const el = e.target.closest('.node, .cluster');
    if (el) activate(el, e.target.tagName === 'text');
  });

  function zoom(factor, cx, cy) {
    const k = Math.min(4, Math.max(0.02, view.k * factor));
    view.x = cx - ((cx - view.x) * k) / view.k;
    view.y = cy - ((cy - view.y) * k) / view.k;
    view.k = k;
    apply();
  }
  // The wheel scrolls the graph; with Ctrl (or a trackpad's pinch, which sets it) it zooms.
  svg.addEventListener(
    'wheel',
    function (e) {
      e.preventDefault();
      if (e.ctrlKey || e.metaKey) {
        const r = svg.getBoundingClientRect();
        zoom(Math.exp(-e.deltaY * 0.002), e.clientX - r.left, e.clientY - r.top);
      } else {
        view.x -= e.shiftKey ? e.deltaY : e.deltaX;
        view.y -= e.shiftKey ? 0 : e.deltaY;
        apply();
      }
    },
    { passive: false },
  );

  // Keyboard: Enter or Space activates the focused node or group; arrows pan, + and - zoom, 0 fits.
  svg.addEventListener('keydown', function (e) {
    const el = e.target.closest && e.target.closest('.node, .cluster');
    if ((e.key === 'Enter' || e.key === ' ') && el) {
      e.preventDefault();
      activate(el, true);
      return;
    }
    const step = 60;
    const keys = {
      ArrowLeft: function () {
        view.x += step;
        apply();
      },
      ArrowRight: function () {
        view.x -= step;
        apply();
      },
      ArrowUp: function () {
        view.y += step;
        apply();
      },
      ArrowDown: function () {
        view.y -= step;
        apply();
      },
      '+': function () {
        zoom(1.25, svg.clientWidth / 2, svg.clientHeight / 2);
      },
      '=': function () {
        zoom(1.25, svg.clientWidth / 2, svg.clientHeight / 2);
      },
      '-': function () {
        zoom(0.8, svg.clientWidth / 2, svg.clientHeight / 2);
      },
      0: fit,
    };
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  });
  // Focusing a node off screen (Tab) brings it into view.
  svg.addEventListener('focusin', function (e) {
    const el = e.target.closest && e.target.closest('.node');
    if (!el) return;
    const r = el.getBoundingClientRect();
    const p = svg.getBoundingClientRect();
    if (r.top < p.top || r.bottom > p.bottom || r.left < p.left || r.right > p.right) centre(el);
  });

  document.getElementById('zoom-in').addEventListener('click', function () {
    zoom(1.25, svg.clientWidth / 2, svg.clientHeight / 2);
  });
  document.getElementById('zoom-out').addEventListener('click', function () {
    zoom(0.8, svg.clientWidth / 2, svg.clientHeight / 2);
  });
  document.getElementById('fit').addEventListener('click', fit);
  document.getElementById('collapse-all').addEventListener('click', function () {
    show(0);
    fit();
  });
  document.getElementById('expand-all').addEventListener('click', function () {
    show(data.levels.length - 1);
    fit();
  });

  document.getElementById('search').addEventListener('submit', function (e) {
    e.preventDefault();
    const q = document.getElementById('q').value.trim();
    if (!q) return;
    const lower = q.toLowerCase();
    const name =
      data.layers.find(function (n) {
        return n === q;
      }) ||
      data.layers.find(function (n) {
        return n.toLowerCase() === lower;
      }) ||
      data.layers.find(function (n) {
        return n.toLowerCase().indexOf(lower) >= 0;
      });
    if (name && reveal('L:' + name)) found.textContent = name === q ? '' : 'showing ' + name;
    else found.textContent = 'no layer named ' + q;
  });

  // Chart marks name their row: a click shows it in the graph.
  document.getElementById('side').addEventListener('click', function (e) {
    const mark = e.target.closest('[data-key]');
    if (mark) reveal(mark.dataset.key);
  });

  show(data.start);
  fit();
  window.addEventListener('resize', function () {
    if (view.k === Math.min(1, ((svg.clientWidth || 800) - 24) / data.levels[level].width)) fit();
  });
  document.documentElement.dataset.ready = 'true';
  // When the first frame with the graph has been drawn (ms since navigation): what the open time is measured by.
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      document.documentElement.dataset.drawn = String(Math.round(performance.now()));
    });
  });
})();
