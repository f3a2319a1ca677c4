// Confirmation for destructive access actions (revoke a grant, end a seat): forms carrying
// data-confirm ask first. No inline handlers: the CSP forbids them.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
