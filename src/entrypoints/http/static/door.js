// The door scanner: pairs the phone once, then reads QR codes from the rear camera and shows
// each answer full screen. No framework, no CDN; QR decoding by the browser's BarcodeDetector
// where it exists, else by jsQR (vendored from npm at install time).
"use strict";

(() => {
  const CREDENTIAL_KEY = "door.credential";
  const DEVICE_KEY = "door.device";
  const RESULT_MS = 2600; // how long a result covers the camera (a tap dismisses it sooner)
  const GONE_MS = 900; // a code out of view this long is scanned again when it comes back
  const DECODE_EVERY_MS = 120;
  const COUNT_EVERY_MS = 30000;

  const $ = (id) => document.getElementById(id);
  const { t, tn } = window; // strings.js: the page's words in its language
  const LANG = document.documentElement.lang; // times and spoken words in the page's language
  const stats = { scans: [], decoder: null }; // read by the browser tests: scan-to-result times
  window.doorStats = stats;

  let device = loadJson(DEVICE_KEY);
  let credential = localStorage.getItem(CREDENTIAL_KEY);
  let detector = null;
  let lastCode = null;
  let lastSeenAt = 0;
  let resultTimer = null;
  let busy = false;
  let audio = null;
  let periodCode = device ? device.periodCode : null;

  function loadJson(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function newScanId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- The API -----------------------------------------------------------------------------

  class Revoked extends Error {}

  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: Object.assign(
        { Authorization: "Device " + credential },
        body ? { "Content-Type": "application/json" } : {},
      ),
      body: body ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
    if (response.status === 401) throw new Revoked("device refused");
    if (!response.ok) throw Object.assign(new Error("HTTP " + response.status), { status: response.status });
    return response.json();
  }

  // --- Screens -----------------------------------------------------------------------------

  function screen(title, text, { refused = false, start = false } = {}) {
    $("screen-title").textContent = title;
    $("screen-text").textContent = text;
    $("screen").classList.toggle("refused", refused);
    $("start").hidden = !start;
    $("screen").hidden = false;
  }

  function refusedDevice() {
    hideResult(); // the result covers the start screen: this one must be seen
    localStorage.removeItem(CREDENTIAL_KEY);
    credential = null;
    stopCamera();
    screen(
      t("This phone is no longer paired"),
      t("An admin revoked it. Ask them for a new pairing link to scan tickets again."),
      { refused: true },
    );
  }

  const WORDS = {
    ok: ["ok", t("Welcome!")],
    already_checked_in: ["already", t("Already checked in")],
    invalid: ["refused", t("Not a valid ticket")],
    expired: ["refused", t("Ticket expired")],
    revoked: ["refused", t("Ticket revoked")],
    superseded: ["refused", t("Old ticket code")],
    wrong_period: ["refused", t("Another period's ticket")],
    wrong_class: ["already", t("Another class")],
    no_network: ["refused", t("No connection")],
  };
  const ADVICE = {
    invalid: t("This is not one of our tickets. Ask for the ticket email, or find them by name."),
    expired: t("This ticket's period is over. Send them to the desk."),
    revoked: t("This ticket was cancelled. Send them to the desk."),
    superseded: t("A newer code was emailed. Ask for the latest ticket email, or find them by name."),
    wrong_period: t("This ticket is for another course period. Send them to the desk."),
    wrong_class: t("Not registered for this class. Show them to their own class."),
    no_network: t("This phone cannot reach the service. Check the Wi-Fi, then scan again."),
  };

  function timeOf(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleTimeString(LANG, { timeStyle: "short" }); // CLDR: 19:02, 7:02 PM
  }

  function showResult(answer, startedAt) {
    const [tone, word] = WORDS[answer.result] || WORDS.invalid;
    const ticket = answer.ticket || null;
    const box = $("result");
    box.className = "result " + tone;
    box.dataset.result = answer.result;
    // A shape as well as a colour: readable for the colour-blind and in a glance.
    $("result-icon").textContent = { ok: "✓", already: "!", refused: "✕" }[tone];
    $("result-word").textContent = word;
    $("result-name").textContent = ticket ? ticket.personName : "";
    $("result-period").textContent = ticket ? ticket.periodCode : "";
    const tracks = $("result-tracks");
    tracks.replaceChildren(
      ...(ticket ? ticket.tracks : []).map((t) => {
        const li = document.createElement("li");
        li.textContent = t.name;
        return li;
      }),
    );
    let detail = ADVICE[answer.result] || "";
    if (answer.result === "wrong_class" && ticket) {
      detail = t("Registered for {tracks}, not {chosen}.", {
        tracks: ticket.tracks.map((track) => track.name).join(", "),
        chosen: chosenName(),
      });
    }
    const at = timeOf(ticket && ticket.checkedInAt);
    if (answer.result === "ok") detail = t("Checked in {time}", { time: at });
    if (answer.result === "already_checked_in") {
      detail = t("First check-in today at {time}. Same person?", { time: at });
    }
    if (answer.offline) {
      detail += " · " + (answer.result === "ok" ? t("offline: sent when back online") : t("checked offline"));
    }
    if (answer.offline && answer.result === "ok" && !ticket) $("result-name").textContent = t("Valid ticket");
    $("result-detail").textContent = detail;
    const undoable = answer.result === "ok" && Boolean(answer.checkInId);
    $("result-undo").hidden = !undoable;
    $("result-undo").dataset.checkInId = undoable ? answer.checkInId : "";
    box.hidden = false;
    signal(tone);
    if (startedAt !== undefined) {
      stats.scans.push({ result: answer.result, ms: Math.round(performance.now() - startedAt) });
    }
    clearTimeout(resultTimer);
    resultTimer = setTimeout(hideResult, RESULT_MS);
  }

  function hideResult() {
    clearTimeout(resultTimer);
    $("result").hidden = true;
  }

  // A sound and a vibration per result: heard and felt at a noisy entrance.
  function signal(tone) {
    const patterns = { ok: [90], already: [70, 80, 70], refused: [350] };
    if (navigator.vibrate) navigator.vibrate(patterns[tone] || [200]);
    if (!audio) return;
    const notes = { ok: [[880, 0, 0.12], [1320, 0.13, 0.14]], already: [[660, 0, 0.12], [660, 0.2, 0.12]], refused: [[196, 0, 0.45]] };
    for (const [freq, at, length] of notes[tone] || []) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = tone === "refused" ? "square" : "sine";
      osc.frequency.value = freq;
      gain.gain.value = 0.25;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + length);
    }
  }

  // --- The class being checked in ---------------------------------------------------------
  // With a schedule, the volunteer picks the class at the door (today's, nearest first); a
  // ticket for other classes is then refused. Remembered on this phone for the day only: next
  // week's class may be another one.

  function classKey() { return "door.class:" + periodCode; }

  function localNow(timezone) {
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: timezone, weekday: "long", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date());
    const part = (type) => (parts.find((p) => p.type === type) || {}).value;
    return {
      weekday: part("weekday").toLowerCase(),
      date: part("year") + "-" + part("month") + "-" + part("day"),
      minutes: Number(part("hour")) * 60 + Number(part("minute")),
    };
  }

  function minutesOf(hhmm) { return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)); }

  function showClasses() {
    const period = offline.period;
    const pick = $("class-pick");
    const scheduled = period && period.tracks.some((track) => track.schedule.length);
    pick.hidden = !scheduled;
    if (!scheduled) { pick.replaceChildren(); return; }
    const now = localNow(period.timezone);
    const skipped = period.skipDates.includes(now.date);
    const options = period.tracks.map((track) => {
      const todays = skipped ? [] : track.schedule.filter((slot) => slot.weekday === now.weekday);
      const near = todays.length
        ? Math.min(...todays.map((slot) => Math.abs(minutesOf(slot.startTime) - now.minutes)))
        : Infinity;
      const when = todays.map((slot) => slot.startTime + "–" + slot.endTime).join(", ");
      return { code: track.code, label: when ? track.name + " · " + when : track.name, near };
    });
    options.sort((a, b) => a.near - b.near || a.label.localeCompare(b.label, LANG));
    const all = new Option(t("All classes"), "");
    pick.replaceChildren(all, ...options.map((o) => new Option(o.label, o.code)));
    const saved = loadJson(classKey());
    pick.value = saved && saved.date === now.date && options.some((o) => o.code === saved.code) ? saved.code : "";
  }

  function chosenClass() {
    const pick = $("class-pick");
    return pick.hidden ? "" : pick.value;
  }

  function chosenName() {
    const pick = $("class-pick");
    return pick.selectedIndex >= 0 ? pick.options[pick.selectedIndex].text.split(" · ")[0] : "";
  }

  // The period's classes, online: for the class choice whatever the tokens' signing.
  async function refreshPeriod() {
    if (!periodCode || !navigator.onLine) return;
    try {
      const response = await fetch("/api/periods/" + encodeURIComponent(periodCode), { cache: "no-store" });
      if (!response.ok) return;
      offline.period = await response.json();
      showClasses();
    } catch (error) {
      // offline: the saved period's classes stay
    }
  }

  function withClass(body) {
    const chosen = chosenClass();
    return chosen ? Object.assign(body, { trackCode: chosen }) : body;
  }

  $("class-pick").addEventListener("change", () => {
    const period = offline.period;
    const date = period ? localNow(period.timezone).date : null;
    localStorage.setItem(classKey(), JSON.stringify({ code: $("class-pick").value, date }));
  });

  // --- Today's count -----------------------------------------------------------------------

  // Today's check-ins of the period, by ticket id: the server's list (kept by the worker, so
  // it may lag a moment) joined with what this phone checked in since.
  let today = { date: null, checkedIn: new Map() };

  function noteCheckIn(ticket) {
    if (ticket && ticket.ticketId) today.checkedIn.set(ticket.ticketId, ticket.checkedInAt || null);
    $("count").textContent = String(today.checkedIn.size);
  }

  async function refreshCount() {
    if (!credential || !periodCode) return;
    try {
      const listed = await api("GET", "/api/checkin/today?periodCode=" + encodeURIComponent(periodCode));
      if (listed.date !== today.date) today = { date: listed.date, checkedIn: new Map() };
      for (const item of listed.items) today.checkedIn.set(item.ticketId, item.checkedInAt);
      $("count").textContent = String(today.checkedIn.size);
    } catch (error) {
      if (error instanceof Revoked) refusedDevice();
    }
  }

  // --- Scanning ----------------------------------------------------------------------------

  async function handleCode(token, startedAt) {
    busy = true;
    try {
      if (!navigator.onLine) {
        showResult(await decideOffline(token), startedAt);
        return;
      }
      const answer = await api("POST", "/api/checkin/scan", withClass({ token, scanId: newScanId() }));
      if (answer.ticket && !periodCode) {
        periodCode = answer.ticket.periodCode;
        $("period").textContent = periodCode;
        refreshPeriod();
      }
      showResult(answer, startedAt);
      if (answer.result === "ok") { noteCheckIn(answer.ticket); noteRecent(answer); }
    } catch (error) {
      if (error instanceof Revoked) refusedDevice();
      else if (error instanceof TypeError) {
        setNetwork(false); // fetch failed: no network, whatever navigator.onLine says
        showResult(await decideOffline(token), startedAt);
      } else showResult({ result: "invalid", ticket: null }, startedAt);
    } finally {
      busy = false;
    }
  }

  // --- Offline -----------------------------------------------------------------------------
  // With EdDSA tickets the page keeps the JWKS, the period's revocations (incremental), its
  // roster (names) and today's check-ins in IndexedDB. Without a network it verifies the
  // signature itself (WebCrypto Ed25519), refuses revoked and superseded tokens and repeats,
  // and queues what it let in, to send with their scanIds when the network is back.

  const offline = { jwks: null, revoked: {}, since: "0", roster: {}, ready: false };
  const dbReady = new Promise((resolve, reject) => {
    const request = indexedDB.open("door", 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("kv");
      request.result.createObjectStore("queue", { keyPath: "scanId" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function idb(store, mode, work) {
    const db = await dbReady;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }

  function cacheKey() { return "offline:" + periodCode; }

  async function loadOffline() {
    if (!periodCode) return;
    const saved = await idb("kv", "readonly", (s) => s.get(cacheKey()));
    if (saved) {
      Object.assign(offline, saved);
      if (saved.today && !today.date) {
        today = { date: saved.today.date, checkedIn: new Map(saved.today.items) };
        $("count").textContent = String(today.checkedIn.size);
      }
      markOfflineReady();
    }
    showClasses();
  }

  async function refreshOffline() {
    if (!credential || !periodCode || !navigator.onLine) return;
    try {
      const jwks = await (await fetch("/.well-known/jwks.json", { cache: "no-store" })).json();
      if (!jwks.keys || !jwks.keys.length) return; // HS256 tickets: no offline checking
      let since = offline.since || "0";
      for (let page = 0; page < 100; page++) {
        const feed = await api("GET", "/api/checkin/revocations?periodCode=" + encodeURIComponent(periodCode) + "&since=" + since);
        for (const item of feed.items) offline.revoked[item.ticketId] = { status: item.status, version: item.currentTokenVersion };
        const done = feed.nextSince === since || feed.items.length < 1000;
        since = feed.nextSince;
        if (done) break;
      }
      const roster = await api("GET", "/api/checkin/roster?periodCode=" + encodeURIComponent(periodCode));
      const period = await (await fetch("/api/periods/" + encodeURIComponent(periodCode), { cache: "no-store" })).json();
      offline.periodId = period.periodId;
      offline.period = period;
      offline.jwks = jwks;
      offline.since = since;
      offline.roster = Object.fromEntries(roster.items.map((t) => [t.ticketId, t]));
      await saveOffline();
      markOfflineReady();
    } catch (error) {
      if (error instanceof Revoked) refusedDevice();
    }
  }

  async function saveOffline() {
    const saved = {
      jwks: offline.jwks,
      revoked: offline.revoked,
      since: offline.since,
      roster: offline.roster,
      periodId: offline.periodId,
      period: offline.period,
      today: { date: today.date, items: [...today.checkedIn] },
    };
    await idb("kv", "readwrite", (s) => s.put(saved, cacheKey()));
  }

  function markOfflineReady() {
    if (!offline.jwks || !crypto.subtle) return;
    offline.ready = true;
    document.body.dataset.offline = "ready";
  }

  function bytesOf(segment) {
    const base64 = segment.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(segment.length / 4) * 4, "=");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  async function verifyOffline(token) {
    const parts = token.split(".");
    if (parts.length !== 3) return { result: "invalid" };
    let header, claims;
    try {
      header = JSON.parse(new TextDecoder().decode(bytesOf(parts[0])));
      claims = JSON.parse(new TextDecoder().decode(bytesOf(parts[1])));
    } catch (error) {
      return { result: "invalid" };
    }
    const jwk = header.alg === "EdDSA" && offline.jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk) return { result: "invalid" };
    let genuine = false;
    try {
      const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
      genuine = await crypto.subtle.verify({ name: "Ed25519" }, key, bytesOf(parts[2]), new TextEncoder().encode(parts[0] + "." + parts[1]));
    } catch (error) {
      genuine = false;
    }
    if (!genuine || claims.iss !== "salsanor-tickets" || typeof claims.sub !== "string") return { result: "invalid" };
    const ticket = offline.roster[claims.sub] || null;
    // The same rule as the server's: a paired device acts only within its period.
    if (device && device.periodCode && offline.periodId && claims.periodId !== offline.periodId) {
      return { result: "wrong_period", ticket };
    }
    // And the same class rule: a ticket the roster knows, for other classes, is not let in.
    const chosen = chosenClass();
    if (chosen && ticket && !ticket.tracks.some((track) => track.code === chosen)) {
      return { result: "wrong_class", ticket };
    }
    if (!(claims.exp * 1000 > Date.now())) return { result: "expired", ticket };
    const change = offline.revoked[claims.sub];
    if (change && change.status === "REVOKED") return { result: "revoked", ticket };
    if (change && claims.ver < change.version) return { result: "superseded", ticket };
    if (today.checkedIn.has(claims.sub)) {
      return { result: "already_checked_in", ticket: Object.assign({}, ticket, { checkedInAt: today.checkedIn.get(claims.sub) }) };
    }
    return { result: "ok", ticket: Object.assign({ ticketId: claims.sub }, ticket) };
  }

  async function decideOffline(token) {
    if (!offline.ready) return { result: "no_network", ticket: null };
    const answer = await verifyOffline(token);
    answer.offline = true;
    if (answer.result === "ok") {
      const at = new Date().toISOString();
      answer.ticket.checkedInAt = at;
      await idb("queue", "readwrite", (s) => s.put({ scanId: newScanId(), token, at, ticketId: answer.ticket.ticketId, trackCode: chosenClass() }));
      noteCheckIn(answer.ticket);
      saveOffline();
      showQueue();
    }
    return answer;
  }

  async function showQueue() {
    const waiting = await idb("queue", "readonly", (s) => s.count());
    $("queue").textContent = tn("{count} scan waiting to sync", "{count} scans waiting to sync", waiting);
    $("queue").hidden = waiting === 0;
    document.body.dataset.queued = String(waiting);
  }

  let syncing = false;

  // Sends the queued scans with their scanIds: a scan sent twice (a lost answer) is recorded
  // once. The server's word is final; where it differs from the door's, the volunteer sees it.
  async function sync() {
    if (syncing || !credential) return;
    syncing = true;
    const notes = [];
    try {
      const queued = await idb("queue", "readonly", (s) => s.getAll());
      for (const item of queued) {
        const answer = await api("POST", "/api/checkin/scan", { token: item.token, scanId: item.scanId, trackCode: item.trackCode || undefined });
        if (answer.result !== "ok") notes.push(disagreement(answer));
        else noteRecent(answer); // undoable from the list, now that the service knows it
        await idb("queue", "readwrite", (s) => s.delete(item.scanId));
      }
    } catch (error) {
      if (error instanceof Revoked) refusedDevice();
    } finally {
      syncing = false;
      await showQueue();
    }
    if (notes.length) {
      $("sync-notes").replaceChildren(...notes.map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }));
      $("sync").hidden = false;
    }
  }

  function disagreement(answer) {
    const name = answer.ticket ? answer.ticket.personName : t("A ticket");
    if (answer.result === "already_checked_in") {
      return t("{name}: checked in at another door at {time}", {
        name, time: timeOf(answer.ticket && answer.ticket.checkedInAt),
      });
    }
    return t("{name}: the service says: {answer}", { name, answer: (WORDS[answer.result] || WORDS.invalid)[1] });
  }

  function setNetwork(online) {
    $("network").textContent = online ? t("online") : t("offline");
    $("network").dataset.state = online ? "online" : "offline";
    $("network").className = "network " + (online ? "online" : "offline");
  }

  window.addEventListener("offline", () => setNetwork(false));
  window.addEventListener("online", async () => {
    setNetwork(true);
    await sync();
    refreshCount();
    refreshOffline();
  });

  async function decode(canvas, context) {
    const started = performance.now();
    if (detector) {
      const codes = await detector.detect(canvas);
      return codes.length ? { text: codes[0].rawValue, started } : null;
    }
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return code && code.data ? { text: code.data, started } : null;
  }

  let stream = null;
  let loopTimer = null;

  async function startCamera() {
    if (window.AudioContext && !audio) audio = new AudioContext();
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
    } catch (error) {
      screen(t("No camera"), t("Allow this page to use the camera, then tap Start."), { start: true });
      return;
    }
    const video = $("camera");
    video.srcObject = stream;
    await video.play().catch(() => {});
    $("screen").hidden = true;
    loop();
  }

  function stopCamera() {
    clearTimeout(loopTimer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
  }

  function loop() {
    const video = $("camera");
    const canvas = $("frame");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const tick = async () => {
      if (!stream) return;
      if (video.videoWidth && !busy) {
        // Decoding a smaller copy is faster, and a ticket held up to the phone stays large.
        const scale = Math.min(1, 800 / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        let found = null;
        try { found = await decode(canvas, context); } catch (e) { found = null; }
        const now = Date.now();
        if (found) {
          // The same code still in view is not scanned twice; another one is, at once.
          const stillInView = found.text === lastCode && now - lastSeenAt < GONE_MS;
          lastCode = found.text;
          lastSeenAt = now;
          if (!stillInView) {
            await handleCode(found.text, found.started);
            lastSeenAt = Date.now();
          }
        }
      }
      loopTimer = setTimeout(tick, DECODE_EVERY_MS);
    };
    tick();
  }

  // --- Find by name ------------------------------------------------------------------------

  let searchTimer = null;

  function openSearch() {
    $("search").hidden = false;
    $("search-input").value = "";
    $("search-results").replaceChildren();
    $("search-empty").hidden = true;
    $("search-input").focus();
  }

  async function runSearch() {
    const q = $("search-input").value.trim();
    if (!q) { $("search-results").replaceChildren(); return; }
    if (!periodCode) { $("search-empty").hidden = false; return; }
    try {
      const found = await api("GET", "/api/checkin/search?periodCode=" + encodeURIComponent(periodCode) + "&q=" + encodeURIComponent(q));
      $("search-empty").hidden = found.items.length > 0;
      $("search-results").replaceChildren(...found.items.map(searchRow));
    } catch (error) {
      if (error instanceof Revoked) refusedDevice();
    }
  }

  function searchRow(ticket) {
    const li = document.createElement("li");
    const who = document.createElement("div");
    who.className = "who2";
    const name = document.createElement("span");
    name.className = "pname";
    name.textContent = ticket.personName;
    const tracks = document.createElement("span");
    tracks.className = "ptracks";
    tracks.textContent = ticket.tracks.map((t) => t.name).join(" · ");
    who.append(name, tracks);
    const button = document.createElement("button");
    button.type = "button";
    if (ticket.checkedInAt) {
      button.textContent = t("In at {time}", { time: timeOf(ticket.checkedInAt) });
      button.disabled = true;
    } else {
      button.textContent = t("Check in");
      button.addEventListener("click", () => manualCheckIn(ticket.ticketId));
    }
    li.append(who, button);
    return li;
  }

  async function manualCheckIn(ticketId) {
    const started = performance.now();
    try {
      const answer = await api("POST", "/api/checkin/manual", withClass({ ticketId, scanId: newScanId() }));
      $("search").hidden = true;
      showResult(answer, started);
      if (answer.result === "ok") { noteCheckIn(answer.ticket); noteRecent(answer); }
    } catch (error) {
      if (error instanceof Revoked) refusedDevice();
    }
  }

  // --- Undo: a mistaken check-in taken back -------------------------------------------------
  // This phone's last check-ins, each undoable for 15 minutes (the service's rule; after that
  // only an admin may). In localStorage: a reload keeps the list.

  const RECENT_KEY = "door.recent";
  const RECENT_MAX = 10;
  const UNDO_MS = 15 * 60 * 1000;
  let recent = loadJson(RECENT_KEY) || [];

  function undoable(entry) {
    return !entry.undone && Date.now() - Date.parse(entry.at) < UNDO_MS;
  }

  function noteRecent(answer) {
    if (!answer.checkInId || !answer.ticket) return;
    const entry = {
      checkInId: answer.checkInId,
      ticketId: answer.ticket.ticketId,
      name: answer.ticket.personName,
      at: answer.ticket.checkedInAt || new Date().toISOString(),
      undone: false,
    };
    recent = [entry, ...recent.filter((e) => e.checkInId !== entry.checkInId)].slice(0, RECENT_MAX);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
  }

  async function undo(checkInId) {
    const entry = recent.find((e) => e.checkInId === checkInId) || null;
    try {
      const done = await api("POST", "/api/checkin/" + encodeURIComponent(checkInId) + "/undo", {});
      if (entry) entry.undone = true;
      localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
      // Out of today's list at once (the server's follows in a moment): scanned again, it is ok.
      today.checkedIn.delete(done.ticketId);
      $("count").textContent = String(today.checkedIn.size);
      saveOffline();
      showUndone(entry, "");
    } catch (error) {
      if (error instanceof Revoked) refusedDevice();
      else if (error.status === 403) showUndone(entry, t("Only an admin can undo this check-in now."));
      else showUndone(entry, t("Not undone: check the connection and try again."));
    }
    if (!$("recent").hidden) showRecent();
  }

  function showUndone(entry, problem) {
    const box = $("result");
    box.className = "result " + (problem ? "refused" : "undone");
    box.dataset.result = problem ? "undo_refused" : "undone";
    $("result-icon").textContent = problem ? "✕" : "↶";
    $("result-word").textContent = problem ? t("Not undone") : t("Check-in undone");
    $("result-name").textContent = entry ? entry.name : "";
    $("result-period").textContent = "";
    $("result-tracks").replaceChildren();
    $("result-detail").textContent = problem || t("They can be checked in again today.");
    $("result-undo").hidden = true;
    box.hidden = false;
    clearTimeout(resultTimer);
    resultTimer = setTimeout(hideResult, RESULT_MS);
  }

  function showRecent() {
    $("recent").hidden = false;
    $("recent-empty").hidden = recent.length > 0;
    $("recent-list").replaceChildren(...recent.map(recentRow));
  }

  function recentRow(entry) {
    const li = document.createElement("li");
    const who = document.createElement("div");
    who.className = "who2";
    const name = document.createElement("span");
    name.className = "pname" + (entry.undone ? " undone" : "");
    name.textContent = entry.name;
    const when = document.createElement("span");
    when.className = "ptracks";
    when.textContent = entry.undone ? t("Undone") : t("In at {time}", { time: timeOf(entry.at) });
    who.append(name, when);
    li.append(who);
    if (undoable(entry)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "undo";
      button.textContent = t("Undo");
      button.setAttribute("aria-label", t("Undo the check-in of {name}", { name: entry.name }));
      button.addEventListener("click", () => undo(entry.checkInId));
      li.append(button);
    }
    return li;
  }

  // The result screen's button: touching it keeps the result up (it hides after a few seconds).
  const undoButton = $("result-undo");
  const keepResult = () => clearTimeout(resultTimer);
  undoButton.addEventListener("pointerdown", keepResult);
  undoButton.addEventListener("focus", keepResult);
  undoButton.addEventListener("click", (event) => {
    event.stopPropagation(); // a tap elsewhere on the result dismisses it; this one undoes
    if (undoButton.dataset.checkInId) undo(undoButton.dataset.checkInId);
  });
  $("recent-open").addEventListener("click", showRecent);
  $("recent-close").addEventListener("click", () => { $("recent").hidden = true; });

  // --- A handheld scanner (a keyboard wedge) ----------------------------------------------
  // It types the code fast and ends with Enter, wherever the focus is: collected here, with no
  // field to click into. Keys further apart than WEDGE_GAP_MS start over (a person types
  // slower); what is typed into the search field, or the class choice, is left alone.

  const WEDGE_GAP_MS = 100;
  const WEDGE_MIN = 8; // shorter is a stray key, not a code
  let wedge = "";
  let wedgeAt = 0;

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const now = performance.now();
    if (now - wedgeAt > WEDGE_GAP_MS) wedge = "";
    wedgeAt = now;
    if (event.key === "Enter") {
      const code = wedge;
      wedge = "";
      if (code.length < WEDGE_MIN) return;
      event.preventDefault(); // not a click on whatever button has the focus
      if (credential && !busy) handleCode(code, now);
    } else if (event.key.length === 1) {
      wedge += event.key;
    }
  });

  // --- Pairing and start -------------------------------------------------------------------

  async function pair(code) {
    // The code is single-use: out of the address bar (and history) before anything else.
    history.replaceState(null, "", "/door");
    try {
      const response = await fetch("/api/devices/pair", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pairingCode: code }),
      });
      if (!response.ok) {
        screen(t("Pairing link not valid"), t("It was used already or has expired. Ask an admin for a new one."), { refused: true });
        return false;
      }
      const paired = await response.json();
      credential = paired.credential;
      device = { deviceId: paired.deviceId, name: paired.name, periodCode: paired.periodCode };
      localStorage.setItem(CREDENTIAL_KEY, credential);
      localStorage.setItem(DEVICE_KEY, JSON.stringify(device));
      periodCode = device.periodCode;
      return true;
    } catch (error) {
      screen(t("No connection"), t("Pairing needs the network. Try the link again."), { refused: true });
      return false;
    }
  }

  async function start() {
    const code = new URLSearchParams(location.search).get("pair");
    if (code && !(await pair(code))) return;
    if (!credential) {
      screen(t("This phone is not paired"), t("Ask an admin for a pairing link (a QR code) and open it on this phone."));
      return;
    }
    try {
      device = await api("GET", "/api/devices/me");
      localStorage.setItem(DEVICE_KEY, JSON.stringify(device));
    } catch (error) {
      if (error instanceof Revoked) { refusedDevice(); return; }
    }
    if (device) {
      $("device-name").textContent = device.name;
      periodCode = device.periodCode || periodCode;
      $("period").textContent = periodCode || "";
    }
    if ("BarcodeDetector" in window) {
      try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
    }
    stats.decoder = detector ? "BarcodeDetector" : "jsQR";
    setNetwork(navigator.onLine);
    await loadOffline();
    await refreshPeriod();
    await refreshCount();
    refreshOffline();
    sync();
    setInterval(() => {
      if (!navigator.onLine) return;
      refreshPeriod();
      refreshCount();
      refreshOffline();
      sync();
    }, COUNT_EVERY_MS);
    const paired = device ? t("Paired as {name}.", { name: device.name }) : t("Paired.");
    screen(t("Ready"), paired, { start: true });
  }

  $("start").addEventListener("click", startCamera);
  $("result").addEventListener("click", hideResult);
  $("search-open").addEventListener("click", openSearch);
  $("sync").addEventListener("click", () => { $("sync").hidden = true; });
  $("search-close").addEventListener("click", () => { $("search").hidden = true; });
  $("search-input").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
  start();
})();
