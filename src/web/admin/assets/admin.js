// Rollcall admin console: small progressive enhancements. Every page works without this file.
(function () {
  'use strict';

  // <button type="button" data-copy="#id">: copies the element's value (an input) or its text.
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
    if (!button) return;
    var source = document.querySelector(button.getAttribute('data-copy'));
    if (!source) return;
    var text = 'value' in source ? source.value : source.textContent;
    var status = document.querySelector('[data-copy-status-for="' + (source.id || '') + '"]');
    var say = function (message) { if (status) status.textContent = message; };
    var fallback = function () {
      if (typeof source.select === 'function') { source.select(); }
      try { say(document.execCommand('copy') ? 'Copied.' : 'Select the text and copy it.'); } catch (e) { say('Select the text and copy it.'); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say('Copied.'); }, fallback);
    } else {
      fallback();
    }
  });

  // <form data-autosubmit>: a filter form that applies as soon as a choice changes.
  document.addEventListener('change', function (event) {
    var field = event.target instanceof Element ? event.target : null;
    if (!field) return;
    var form = field.closest('form[data-autosubmit]');
    if (form && field.matches('select, input[type=checkbox], input[type=radio], input[type=date], input[type=datetime-local]')) {
      if (typeof form.requestSubmit === 'function') form.requestSubmit(); else form.submit();
    }
    // <input type=file data-read-into="#textarea">: the chosen file's text goes into the textarea.
    if (field.matches('input[type=file][data-read-into]') && field.files && field.files[0]) {
      var target = document.querySelector(field.getAttribute('data-read-into'));
      var reader = new FileReader();
      reader.onload = function () { if (target) target.value = String(reader.result); };
      reader.readAsText(field.files[0]);
    }
  });

  // Elements only useful with this script (e.g. the file picker that fills a textarea) start hidden.
  document.querySelectorAll('[data-needs-js]').forEach(function (el) { el.hidden = false; });
})();

// <a data-follow>: a link the page exists to follow (the test sign-in's way to the IdP, which a
// form may not redirect to under the console's CSP); without this script, the person clicks it.
(function () {
  'use strict';
  var link = document.querySelector('a[data-follow]');
  if (link) window.location.assign(link.href);
})();
