/* Upload progress for the family page. Without this file the forms still work (plain POST);
   with it, a file's progress is shown while it goes. No inline script: a strict CSP holds. */
(function () {
  "use strict";
  function bind(root) {
    root.querySelectorAll("form.upload").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.FormData || !window.XMLHttpRequest) { return; }
        event.preventDefault();
        var bar = form.querySelector("progress");
        var button = form.querySelector("button[type=submit]");
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.upload.addEventListener("progress", function (e) {
          if (bar && e.lengthComputable) { bar.hidden = false; bar.max = e.total; bar.value = e.loaded; }
        });
        xhr.addEventListener("load", function () {
          var target = xhr.responseURL || form.action;
          if (xhr.status >= 200 && xhr.status < 300 && target.indexOf("/records/") === -1) {
            window.location.assign(target);  /* sent: the page that says thank you */
            return;
          }
          /* refused: show the answer the server wrote, in the family's language */
          var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
          document.title = page.title;
          document.body.replaceWith(document.adoptNode(page.body));
          bind(document);
          window.scrollTo(0, 0);
        });
        xhr.addEventListener("error", function () { form.submit(); });
        if (button) { button.disabled = true; }
        xhr.send(new FormData(form));
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
})();
