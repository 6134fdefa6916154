// Every state-changing request of the page carries the CSRF token of the session (double-submit check in
// dkfi.core.security). Wraps fetch once for all scripts of the page; GET/HEAD are left alone.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = meta ? meta.content : "";
  const plain = window.fetch.bind(window);
  window.fetch = function (input, init) {
    init = Object.assign({}, init || {});
    const method = (init.method || (input && input.method) || "GET").toUpperCase();
    if (token && method !== "GET" && method !== "HEAD") {
      const headers = new Headers(init.headers || {});
      headers.set("X-CSRF-Token", token);
      init.headers = headers;
    }
    return plain(input, init);
  };
  document.addEventListener("htmx:configRequest", function (ev) {
    if (token) ev.detail.headers["X-CSRF-Token"] = token;
  });
})();
