// Progressive enhancement of the upload form: the picker in the page's words, drop a workbook
// on it, and a note while the server checks. The form works the same without this file.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = form.querySelector("input[type=file]");
  var hint = form.querySelector(".drop-hint");
  var busy = form.querySelector(".busy");
  var button = form.querySelector("button[type=submit]");
  // The browser's input says "Choose file" and "No file chosen" in the browser's language:
  // a label in the page's words stands in for it (the input itself stays, unseen, focusable),
  // and the choice is said in a polite live region.
  var pick = form.querySelector("label.pick");
  var picked = form.querySelector(".picked");
  var none = picked ? picked.textContent : "";
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined,
                                     {maximumFractionDigits: 1});

  function size(bytes) {
    if (bytes >= 1024 * 1024) { return number.format(bytes / 1024 / 1024) + " MB"; }
    return number.format(bytes / 1024) + " kB";  // as the result page says it
  }

  function say(text, kind) {
    if (!picked) { return; }
    picked.textContent = text;
    picked.classList.toggle("chosen", kind === "chosen");
    picked.classList.toggle("missing", kind === "missing");
  }

  // A file's name as the result page shows it: a control or format character (a direction
  // override, which would turn "factuur\u202excod.xlsx" into "factuurxslx.doc" and the size
  // after it around) as its escape, as intake.outputs.terminal.printable writes it; the name
  // isolated (U+2068 ... U+2069), so a right-to-left name leaves the size where it stands.
  function named(name) {
    return "\u2068" + name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, function (ch) {
      var code = ch.codePointAt(0).toString(16);
      return code.length <= 2 ? "\\x" + code.padStart(2, "0")
        : code.length <= 4 ? "\\u" + code.padStart(4, "0") : "\\U" + code.padStart(8, "0");
    }) + "\u2069";
  }

  // The words come from the page, in the page's language.
  function show() {
    var file = input.files && input.files[0];
    if (file) {
      say((form.dataset.chosen || "") + " " + named(file.name) + " (" + size(file.size) + ")",
          "chosen");
    } else {
      say(none, "");
    }
  }

  if (pick && picked) {
    pick.hidden = false;
    picked.hidden = false;
    input.setAttribute("aria-describedby", picked.id);
    form.classList.add("picking");
    input.addEventListener("change", show);
    // The browser's own "Please select a file" bubble is in the browser's language too.
    input.addEventListener("invalid", function (event) {
      event.preventDefault();
      say(form.dataset.pickFirst || none, "missing");
      input.focus();
    });
    show();  // a file the browser kept across a reload or a step back
  }
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
      if (picked && !picked.hidden) {
        show();
      } else if (hint) {
        hint.textContent = (form.dataset.chosen || "") + " " + named(input.files[0].name);
      }
    }
  });
  form.addEventListener("submit", function () {
    if (busy) { busy.hidden = false; }
    if (button) { button.disabled = true; }
  });
})();
