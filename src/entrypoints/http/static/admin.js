// Shared by the admins' door pages: the bearer token (this tab only) and JSON calls.
"use strict";

window.adminApi = (() => {
  const KEY = "admin.bearer";
  const field = document.getElementById("token");
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem(KEY, fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  if (field) {
    field.value = sessionStorage.getItem(KEY) || "";
    field.addEventListener("change", () => sessionStorage.setItem(KEY, field.value.trim()));
    if (!field.value) document.getElementById("auth").open = true;
  }

  const t = window.t; // strings.js: the page's words in its language
  const LANG = document.documentElement.lang;

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: Object.assign(
        { Authorization: "Bearer " + (sessionStorage.getItem(KEY) || "") },
        body ? { "Content-Type": "application/json" } : {},
      ),
      body: body ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
    const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
    if (!response.ok) throw new Error((data && data.detail) || "HTTP " + response.status);
    return data;
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString(LANG, { dateStyle: "short", timeStyle: "short" }) : "–";
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  return { call, when, cell, t, LANG };
})();
