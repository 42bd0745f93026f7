// The portal's only script: start GOV.UK Frontend and report htmx failures in words.
import { initAll } from "../vendor/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();

document.body.addEventListener("htmx:responseError", (event) => {
  const live = document.getElementById("portal-live");
  const status = event.detail.xhr.status;
  const message =
    status === 403 || status === 404
      ? "That is not available to you. Reload the page."
      : "Something went wrong and nothing was changed. Reload the page and try again.";
  if (live) {
    live.classList.remove("govuk-visually-hidden");
    live.className = "govuk-error-summary";
    live.textContent = message;
  }
});

// Say something in the page's polite live region, hidden again if an htmx failure had
// shown it. Clearing it first lets a screen reader announce the same words again.
function announce(message) {
  const live = document.getElementById("portal-live");
  if (!live) return;
  live.className = "govuk-visually-hidden";
  live.textContent = "";
  window.setTimeout(() => {
    live.textContent = message;
  }, 100);
}

// Focus survives an inline swap (WCAG 2.4.3, 4.1.3). When a swap carrying
// data-portal-announce replaces the element that had focus, the live region says what
// happened, and focus goes to the error summary of a refused form or, when htmx could
// not give it back by id, to the element marked data-portal-focus (the Edit link of a
// closed form) or the first field of an opened form.
const FIELDS = "input:not([type=hidden]), select, textarea";
let focusWasInTarget = false;

document.body.addEventListener("htmx:beforeSwap", (event) => {
  focusWasInTarget = event.detail.target.contains(document.activeElement);
});

document.body.addEventListener("htmx:afterSettle", (event) => {
  const swapped = event.target;
  if (!focusWasInTarget || !swapped.hasAttribute?.("data-portal-announce")) return;
  focusWasInTarget = false;
  const summary = swapped.querySelector(".govuk-error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
    return;
  }
  const lost = !document.activeElement || document.activeElement === document.body;
  const target = swapped.querySelector("[data-portal-focus]") ?? swapped.querySelector(FIELDS);
  if (lost && target) target.focus();
  announce(swapped.dataset.portalAnnounce);
});

// GOV.UK's time-out warning (WCAG 2.2.1). The server signs out a session left idle for
// data-idle-seconds; any request to it starts the clock again. A modal dialog warns
// data-warn-seconds before, and "Stay signed in" (or Escape) pings the server. At the
// time-out, text typed into the page's forms and not saved is kept in this tab's
// sessionStorage, for the same person, and put back when they sign in again.
const timeout = document.getElementById("portal-timeout");
const UNSAVED = "portal-unsaved-text";
const TYPED = "form[method=post] textarea[name], form[method=post] input[type=text][name]";

function restoreUnsavedText() {
  const kept = JSON.parse(window.sessionStorage.getItem(UNSAVED) ?? "null");
  if (!kept || !timeout || kept.user !== timeout.dataset.user) return;
  if (kept.path !== window.location.pathname) return;
  window.sessionStorage.removeItem(UNSAVED);
  let restored = 0;
  for (const { name, value } of kept.fields) {
    const field = document.querySelector(`form[method=post] [name="${CSS.escape(name)}"]`);
    if (field) {
      field.value = value;
      restored += 1;
    }
  }
  if (restored) announce("The text you had typed before you were signed out is back. It is not saved yet.");
}

function keepUnsavedText() {
  const fields = [...document.querySelectorAll(TYPED)]
    .filter((field) => field.value !== field.defaultValue)
    .map((field) => ({ name: field.name, value: field.value }));
  if (!fields.length) return;
  const kept = { user: timeout.dataset.user, path: window.location.pathname, fields };
  window.sessionStorage.setItem(UNSAVED, JSON.stringify(kept));
}

if (timeout) {
  const idle = Number(timeout.dataset.idleSeconds) * 1000;
  const warn = Number(timeout.dataset.warnSeconds) * 1000;
  const countdown = timeout.querySelector(".portal-timeout__countdown");
  let signOutAt = 0;
  let timers = [];

  const spell = (count, unit) => `${count} ${unit}${count === 1 ? "" : "s"}`;
  const tick = () => {
    const left = Math.max(0, Math.ceil((signOutAt - Date.now()) / 1000));
    const minutes = Math.floor(left / 60);
    const seconds = left % 60;
    countdown.textContent = minutes
      ? spell(minutes, "minute") + (seconds ? ` ${spell(seconds, "second")}` : "")
      : spell(seconds, "second");
  };
  const signedOut = () => {
    keepUnsavedText();
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${timeout.dataset.signedOut}&next=${encodeURIComponent(next)}`);
  };
  const restart = () => {
    timers.forEach((timer) => window.clearTimeout(timer));
    signOutAt = Date.now() + idle;
    timers = [
      window.setTimeout(() => {
        tick();
        timeout.showModal();
        timeout.querySelector("h2").focus();
        timers.push(window.setInterval(tick, 1000));
      }, idle - warn),
      // A second after the server's limit, so the session is surely over.
      window.setTimeout(signedOut, idle + 1000),
    ];
  };
  const stay = async () => {
    const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    const response = await fetch(timeout.dataset.keepAlive, {
      method: "POST",
      headers: { "X-CSRFToken": csrf },
      redirect: "manual",
    });
    if (response.status !== 204) {
      signedOut();
      return;
    }
    timeout.close();
    restart();
    announce("You are still signed in.");
  };

  timeout.querySelector("[data-portal-stay]").addEventListener("click", stay);
  timeout.addEventListener("cancel", (event) => {
    event.preventDefault();
    stay();
  });
  // Every htmx request reaches the server, which starts its idle clock again.
  document.body.addEventListener("htmx:afterRequest", () => {
    if (!timeout.open) restart();
  });
  restart();
  restoreUnsavedText();
}
