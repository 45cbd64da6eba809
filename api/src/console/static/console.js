// Comptoir operations console: refreshes each page's live part in place, without a reload.
// Pages work without it (every action is a plain form post).
"use strict";

(function () {
  const live = document.getElementById("live");
  if (!live) return;
  const every = Number(live.dataset.refresh) || 5000;
  let busy = false;

  async function refresh() {
    // Never swap the part under a pointer or a focused control: the click would land elsewhere.
    if (busy || document.hidden || live.contains(document.activeElement) && document.activeElement !== document.body) return;
    busy = true;
    try {
      const response = await fetch(location.href, {
        headers: { "X-Console-Fragment": "1" },
        credentials: "same-origin",
        cache: "no-store",
      });
      // The session ended: the login page is where the browser belongs now.
      if (response.redirected && new URL(response.url).pathname === "/admin/login") {
        location.assign(response.url);
        return;
      }
      if (response.ok) {
        live.innerHTML = await response.text();
        live.dataset.refreshedAt = String(Date.now());
      }
    } catch (_) {
      // The API is unreachable for a moment: keep what is shown and try again later.
    } finally {
      busy = false;
    }
  }

  setInterval(refresh, every);
})();
