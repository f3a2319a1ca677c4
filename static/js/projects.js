// Project pages. Progressive enhancement only: every rule here is enforced on the server too.
//
// On "add a member" and "change role" forms, an observer must have an end date: mark the date
// field required as soon as "Observer" is chosen, so the need is visible before submitting.
document.addEventListener("change", (event) => {
  const role = event.target.closest("select[name='role']");
  if (!role || !role.form) return;
  const endsOn = role.form.querySelector("input[name='ends_on']");
  if (endsOn) endsOn.required = role.value === "observer";
});
