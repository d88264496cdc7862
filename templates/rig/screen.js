// The driller's screen, kept live by the rig's push (/live, server-sent events): each event is the
// page's changing part rendered by the rig, swapped in whole. While an announced incident waits
// for an answer, an alarm tone is made here (Web Audio; nothing is fetched). "Silence" stops the
// sound only, until an incident rises above the level it was silenced at. If the push goes quiet
// the page reloads; without scripts the page refreshes itself every 5 s.
'use strict';
(() => {
  const live = document.getElementById('live');
  if (!live) return;
  const RANK = { elevated: 1, high: 2, critical: 3 };
  const state = { sounding: false, updates: 0, lastUpdate: Date.now() };
  window.sairenScreen = state; // read by the browser test
  let audio = null;
  let beeper = null;

  const silenced = () => {
    try { return JSON.parse(sessionStorage.getItem('sairen-silenced') || '{}'); } catch (_) { return {}; }
  };
  // Incidents nobody has answered, above the level they were silenced at: [[id, level], ...].
  const calling = () => {
    const el = document.getElementById('sound');
    const quiet = silenced();
    return ((el && el.dataset.incidents) || '').split(' ').filter(Boolean)
      .map((pair) => pair.split(':'))
      .filter(([id, level]) => (quiet[id] || 0) < (RANK[level] || 0));
  };
  const beep = (hz) => {
    if (!audio || audio.state !== 'running') return;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.type = 'square';
    tone.frequency.value = hz;
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  };
  const alarm = () => {
    const due = calling();
    const critical = due.some(([, level]) => level === 'critical');
    const show = (id, on) => { const b = document.getElementById(id); if (b) b.hidden = !on; };
    show('silence', due.length > 0);
    show('sound-on', due.length > 0 && (!audio || audio.state !== 'running'));
    clearInterval(beeper);
    beeper = null;
    state.sounding = due.length > 0;
    if (state.sounding) {
      // Faster and higher for a CRITICAL, as control-room alarms do.
      beeper = setInterval(() => beep(critical ? 960 : 660), critical ? 700 : 1500);
    }
  };

  document.addEventListener('click', (e) => {
    if (!audio && window.AudioContext) {
      try { audio = new AudioContext(); } catch (_) { audio = null; }
    } else if (audio && audio.state === 'suspended') {
      audio.resume();
    }
    if (e.target && e.target.id === 'silence') {
      const quiet = silenced();
      for (const [id, level] of calling()) quiet[id] = RANK[level];
      sessionStorage.setItem('sairen-silenced', JSON.stringify(quiet));
    }
    setTimeout(alarm, 50);
  });

  if (window.EventSource) {
    const incident = live.dataset.incident;
    // The push renders what this page shows: its incident, or the screen with its trend span.
    const trend = new URLSearchParams(location.search).get('trend');
    const query = incident ? `?incident=${encodeURIComponent(incident)}` : (trend ? `?trend=${encodeURIComponent(trend)}` : '');
    const source = new EventSource(`/live${query}`);
    source.addEventListener('live', (e) => {
      if (e.data) live.innerHTML = e.data;
      state.updates += 1;
      state.lastUpdate = Date.now();
      alarm();
    });
    // The rig pushes at least every 2 s; quiet for 15 s means the push is gone: start afresh.
    setInterval(() => { if (Date.now() - state.lastUpdate > 15000) location.reload(); }, 5000);
  } else {
    setTimeout(() => location.reload(), 5000);
  }
  alarm();
})();
