/* What the BPMN modeler (modeler.js) and the DMN editor (modeler-dmn.js) share: talking to the JSON
   API with the session's CSRF token, loading and saving a draft file's XML, the status line, and the
   warning before leaving with unsaved changes. Loaded (deferred) before either page's script; no
   bundler, so it is a plain global, window.AuttamoEditor. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* A JSON request with the CSRF header; resolves to {status, ok, data} (data: the parsed body,
     {detail: text} for a body that is not JSON, null for none). */
  function request(method, url, body) {
    var headers = { "X-CSRF-Token": csrfToken(), "Accept": "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (ignored) {
          data = { detail: text };
        }
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  /* The API's error `detail` as one line: a string as it is, {message, errors} joined. */
  function detailText(data) {
    var detail = data && data.detail;
    if (!detail) {
      return "";
    }
    if (typeof detail === "string") {
      return detail;
    }
    var errors = detail.errors ? Object.keys(detail.errors).map(function (k) { return detail.errors[k]; }) : [];
    return [detail.message].concat(errors).join(" ");
  }

  /* A function that shows a message (kind: busy, ok, dirty, error, or "") in the status node. */
  function statusLine(node) {
    return function (text, kind) {
      if (node) {
        node.textContent = text || "";
        node.setAttribute("data-kind", kind || "");
      }
    };
  }

  /* Fetch the file's XML and import it into the bpmn-js / dmn-js editor. */
  function loadXml(editor, url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(response.status + " " + response.statusText);
      }
      return response.text();
    }).then(function (xml) {
      return editor.importXML(xml);
    });
  }

  /* PUT the editor's XML to the draft file, with the draft revision it was loaded at (409 when
     someone saved in between); resolves like request(). */
  function saveXml(editor, url, revision) {
    return editor.saveXML({ format: true }).then(function (result) {
      return request("PUT", url, { content: result.xml, revision: revision });
    });
  }

  /* Ask before the page is left while isDirty() says there are unsaved changes. */
  function warnBeforeLeaving(isDirty, message) {
    window.addEventListener("beforeunload", function (event) {
      if (isDirty()) {
        event.preventDefault();
        event.returnValue = message;
      }
    });
  }

  window.AuttamoEditor = {
    request: request,
    detailText: detailText,
    statusLine: statusLine,
    loadXml: loadXml,
    saveXml: saveXml,
    warnBeforeLeaving: warnBeforeLeaving
  };
})();
