// Progressive enhancement of the upload form: drop a workbook on it, and a note while the
// server checks. The form works the same without this file.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = form.querySelector("input[type=file]");
  var hint = form.querySelector(".drop-hint");
  var busy = form.querySelector(".busy");
  var button = form.querySelector("button[type=submit]");
  if (hint) { hint.hidden = false; }
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      event.preventDefault();
      form.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () { form.classList.remove("over"); });
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      // The word comes from the page, in the page's language.
      if (hint) { hint.textContent = (form.dataset.chosen || "") + " " + input.files[0].name; }
    }
  });
  form.addEventListener("submit", function () {
    if (busy) { busy.hidden = false; }
    if (button) { button.disabled = true; }
  });
})();
