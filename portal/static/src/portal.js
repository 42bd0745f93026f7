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

// Say something in the page's polite live region. Clearing it first makes a screen
// reader announce the same words twice in a row.
function announce(message) {
  const live = document.getElementById("portal-live");
  if (!live) return;
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
