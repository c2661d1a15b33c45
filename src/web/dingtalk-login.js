// The workbench page's sign-in, run only inside DingTalk (the page includes this script, and
// DingTalk's own, only when DingTalk opened it): ask DingTalk for a one-time auth code
// (requestAuthCode, DingTalk's JSAPI "requestAuthCode" page) and send it to the server, which
// exchanges it for the official and opens their session. The code works once, for five minutes.
(function () {
  'use strict';
  var form = document.getElementById('dingtalk-login');
  var failed = document.getElementById('dingtalk-failed');
  if (!form) {
    return;
  }
  function fail() {
    if (failed) {
      failed.hidden = false;
    }
  }
  function send(result) {
    // The answer is { code } (older clients: { code } too, newer docs also say authCode).
    var code = result && (result.code || result.authCode);
    if (!code) {
      fail();
      return;
    }
    form.elements.code.value = code;
    form.submit();
  }
  if (typeof dd === 'undefined') {
    fail();
    return;
  }
  var corpId = form.getAttribute('data-corp-id') || (dd.env && dd.env.corpId) || '';
  var clientId = form.getAttribute('data-client-id') || '';
  var ask = dd.requestAuthCode ||
    (dd.runtime && dd.runtime.permission && dd.runtime.permission.requestAuthCode);
  if (!ask) {
    fail();
    return;
  }
  try {
    ask({ corpId: corpId, clientId: clientId, onSuccess: send, onFail: fail });
  } catch (e) {
    fail();
  }
})();
