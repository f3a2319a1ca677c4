// Project pages: ask before destructive one-click forms (those marked data-confirm).
// Pages with a separate confirmation step need nothing from here.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
