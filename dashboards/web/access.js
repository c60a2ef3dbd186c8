// Reading the collector's API as the person at the screen: where reading is not public
// (`http.public_read = false`, the recommended setting) the page asks for a token, checks it
// with /api/v1/me, keeps it for this browser session, and asks again if it stops working.
"use strict";

(() => {
  const SP = window.SP;
  const KEY = "sitepulse.token";
  SP.token = () => sessionStorage.getItem(KEY) || "";

  /// A refused read: 401 (no token, or a wrong one) or 403 (a token without the right).
  class AccessError extends Error {
    constructor(status, message) { super(`${status}: ${message}`); this.status = status; this.detail = message; }
  }
  SP.AccessError = AccessError;

  const headers = (token) => {
    const h = { Accept: "application/json" };
    if (token) h.Authorization = `Bearer ${token}`;
    return h;
  };

  async function fetchChecked(path, token) {
    const r = await fetch(path, { headers: headers(token) });
    if (r.status === 401 || r.status === 403) {
      const body = await r.json().catch(() => ({}));
      throw new AccessError(r.status, body.error || "");
    }
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return r;
  }

  /// GET a JSON resource with the session's token. A refusal shows the sign-in again.
  SP.api = async (path) => {
    try {
      return await (await fetchChecked(path, SP.token())).json();
    } catch (e) {
      if (e instanceof AccessError) SP.showSignIn(e);
      throw e;
    }
  };

  /// Saves a resource (an export) under `name`, with the session's token.
  SP.download = async (path, name) => {
    const blob = await (await fetchChecked(path, SP.token())).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  };

  let waiting = null;
  const message = (e) => {
    if (!e) return "";
    if (e.status === 401) return SP.token() || e.tried ? SP.t("wrong_token") : "";
    if (e.status === 403) return SP.t("no_right", { m: e.detail });
    return SP.t("unreachable");
  };

  /// Shows the sign-in over the page (with why, if a read was refused); resolves once a token
  /// has been checked.
  SP.showSignIn = (why) => {
    let el = document.getElementById("sign-in");
    if (!el) {
      el = document.createElement("div");
      el.id = "sign-in";
      el.innerHTML = `<form><h2></h2><p class="note"></p><label><span></span><input name="token" type="password" autocomplete="current-password" required></label>
        <p class="error" role="alert"></p><button type="submit"></button></form>`;
      document.body.appendChild(el);
      el.querySelector("form").addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const token = el.querySelector("input").value.trim();
        const err = el.querySelector(".error");
        err.textContent = "";
        try {
          const me = await (await fetchChecked("/api/v1/me", token)).json();
          sessionStorage.setItem(KEY, token);
          SP.me = me;
          el.hidden = true;
          el.querySelector("input").value = "";
          const w = waiting; waiting = null;
          if (w) w.resolve(me);
        } catch (e) {
          if (e instanceof AccessError) e.tried = true;
          err.textContent = message(e) || SP.t("wrong_token");
        }
      });
    }
    el.querySelector("h2").textContent = SP.t("sign_in");
    el.querySelector(".note").textContent = SP.t("sign_in_note");
    el.querySelector("label span").textContent = SP.t("token");
    el.querySelector("button").textContent = SP.t("sign_in");
    if (why) {
      if (why.status === 401) sessionStorage.removeItem(KEY);
      el.querySelector(".error").textContent = message(why);
    }
    el.hidden = false;
    el.querySelector("input").focus();
    if (!waiting) {
      let resolve;
      const p = new Promise((r) => { resolve = r; });
      waiting = { promise: p, resolve };
    }
    return waiting.promise;
  };

  /// Resolves once the page may read: at once where reading is public or the session's token
  /// still works, otherwise after a sign-in.
  SP.ensureAccess = async (config) => {
    const token = SP.token();
    if (token) {
      try {
        SP.me = await (await fetchChecked("/api/v1/me", token)).json();
        return SP.me;
      } catch (e) {
        if (!(e instanceof AccessError)) throw e;
        return SP.showSignIn(e);
      }
    }
    if (config.public_read) return null;
    return SP.showSignIn(null);
  };

  SP.signOut = () => { sessionStorage.removeItem(KEY); location.reload(); };
})();
