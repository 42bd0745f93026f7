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
