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

// Focus survives an inline swap (WCAG 2.4.3, 4.1.3). When the element that had focus
// is replaced by a swap carrying data-portal-announce, focus moves to the new
// content: the error summary of a refused form, the first field of an opened form,
// or the element marked data-portal-focus (the Edit link of a closed form).
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
  const target =
    summary ?? swapped.querySelector("[data-portal-focus]") ?? swapped.querySelector(FIELDS);
  if (target) {
    if (target === summary) target.setAttribute("tabindex", "-1");
    target.focus();
  }
  if (!summary) announce(swapped.dataset.portalAnnounce);
});
