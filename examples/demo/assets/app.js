"use strict";
// The demo page's only script (the CSP allows no inline script). Every call is
// same-origin, so the browser sends `Sec-Fetch-Site: same-origin` and the CSRF
// guard lets it through; the tokens travel in HttpOnly cookies this script
// never sees.

const $ = (id) => document.getElementById(id);

function showCookies() {
  $("document-cookie").textContent = JSON.stringify(document.cookie);
}

async function show(label, response) {
  const text = await response.text();
  $("output").textContent = `${label} -> ${response.status}\n${text}`;
  $("output").dataset.status = String(response.status);
  showCookies();
  return text;
}

function send(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

// An API call; when the access token has expired (401), refresh once and retry.
async function api(method, path, body) {
  const first = await send(method, path, body);
  if (first.status !== 401) return first;
  const refreshed = await send("POST", "/auth/refresh");
  if (!refreshed.ok) {
    $("status").textContent = "not logged in";
    return first;
  }
  return send(method, path, body);
}

async function listNotes() {
  const response = await api("GET", "/api/notes");
  const list = $("notes");
  list.replaceChildren();
  if (!response.ok) return;
  for (const note of await response.json()) {
    const item = document.createElement("li");
    item.textContent = note.text; // text, never HTML
    list.append(item);
  }
}

async function me() {
  const response = await api("GET", "/api/me");
  const text = await show("GET /api/me", response);
  if (response.ok) $("status").textContent = `logged in as ${JSON.parse(text).sub}`;
}

function on(id, event, handler) {
  $(id).addEventListener(event, (e) => {
    e.preventDefault();
    handler().catch((err) => {
      $("output").textContent = `error: ${err}`;
      $("output").dataset.status = "error";
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  showCookies();

  on("login-form", "submit", async () => {
    const response = await send("POST", "/auth/login", {
      username: $("username").value,
      password: $("password").value,
    });
    $("password").value = "";
    if (response.ok) {
      $("status").textContent = `logged in as ${$("username").value}`;
      await listNotes();
    }
    await show("POST /auth/login", response);
  });

  on("me", "click", me);

  on("refresh", "click", async () => {
    await show("POST /auth/refresh", await send("POST", "/auth/refresh"));
  });

  on("note-form", "submit", async () => {
    const response = await api("POST", "/api/notes", { text: $("note-text").value });
    if (response.ok) $("note-text").value = "";
    await listNotes();
    await show("POST /api/notes", response);
  });

  on("logout", "click", async () => {
    const response = await send("POST", "/auth/logout");
    $("status").textContent = "not logged in";
    $("notes").replaceChildren();
    await show("POST /auth/logout", response);
  });

  on("logout-all", "click", async () => {
    const response = await send("POST", "/auth/logout-all");
    $("status").textContent = "not logged in";
    $("notes").replaceChildren();
    await show("POST /auth/logout-all", response);
  });

  // Already logged in (e.g. after a reload)? Ask quietly, without refreshing,
  // so this can never race with a login's cookies.
  send("GET", "/api/me").then(async (response) => {
    if (response.ok) {
      $("status").textContent = `logged in as ${(await response.json()).sub}`;
      await listNotes();
    }
  }).catch(() => {});
});
