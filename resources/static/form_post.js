// OAuth 2.0 Form Post Response Mode: submit the response form as soon as
// the page has loaded. Without JavaScript the visible button does the same.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("form-post");
  if (form) form.submit();
});
