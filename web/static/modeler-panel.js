/* The properties panel of the BPMN modeler: only what Auttamo's engine reads, edited through the
   modeler's own services (modeling, moddle, bpmnReplace), so every change can be undone and is saved
   in the XML exactly as SpiffArena's modeler would write it. Plain DOM, no inline styles or scripts.

   window.AuttamoPanel(modeler, container, options) -> { render(element), showIssues(map) }
   options: readOnly, forms, uiForms, lanes, strings, taskTypes */
(function () {
  "use strict";

  var SPIFF = "spiffworkflow:";
  var FORM_PROPS = ["formJsonSchemaFilename", "formUiSchemaFilename"];
  var ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

  function is(bo, type) {
    return !!(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) {
        return;
      }
      if (key === "text") {
        node.textContent = value;
      } else if (key === "value") {
        node.value = value;
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(child);
      }
    });
    return node;
  }

  window.AuttamoPanel = function (modeler, container, options) {
    var t = options.strings || {};
    var readOnly = !!options.readOnly;
    var modeling = readOnly ? null : modeler.get("modeling");
    var moddle = modeler.get("moddle");
    var registry = modeler.get("elementRegistry");
    var replace = readOnly ? null : modeler.get("bpmnReplace");
    var current = null;
    var issues = {};

    // ---- reading and writing the moddle -------------------------------------------------------

    function extValues(owner) {
      var ext = owner && owner.get("extensionElements");
      return ext ? ext.get("values") || [] : [];
    }

    function findExt(owner, type) {
      return extValues(owner).filter(function (v) { return is(v, type); })[0] || null;
    }

    function ensureExt(element, owner) {
      var ext = owner.get("extensionElements");
      if (!ext) {
        ext = moddle.create("bpmn:ExtensionElements", { values: [] });
        ext.$parent = owner;
        modeling.updateModdleProperties(element, owner, { extensionElements: ext });
      }
      return ext;
    }

    function addExt(element, owner, created) {
      var ext = ensureExt(element, owner);
      created.$parent = ext;
      modeling.updateModdleProperties(element, ext, { values: (ext.get("values") || []).concat([created]) });
    }

    function removeExt(element, owner, found) {
      var ext = owner.get("extensionElements");
      modeling.updateModdleProperties(element, ext, {
        values: ext.get("values").filter(function (v) { return v !== found; })
      });
    }

    function extText(owner, type) {
      var found = findExt(owner, SPIFF + type);
      return found ? found.get("value") || "" : "";
    }

    function setExtText(element, owner, type, text) {
      var found = findExt(owner, SPIFF + type);
      if (!text) {
        if (found) {
          removeExt(element, owner, found);
        }
      } else if (found) {
        modeling.updateModdleProperties(element, found, { value: text });
      } else {
        addExt(element, owner, moddle.create(SPIFF + type, { value: text }));
      }
    }

    function properties(bo) {
      var box = findExt(bo, SPIFF + "properties");
      return box ? box.get("properties") || [] : [];
    }

    function prop(bo, name) {
      var found = properties(bo).filter(function (p) { return p.get("name") === name; })[0];
      return found ? found.get("value") || "" : "";
    }

    function setProp(element, bo, name, value) {
      var box = findExt(bo, SPIFF + "properties");
      var found = box ? box.get("properties").filter(function (p) { return p.get("name") === name; })[0] : null;
      if (!value) {
        if (found) {
          modeling.updateModdleProperties(element, box, {
            properties: box.get("properties").filter(function (p) { return p !== found; })
          });
        }
        return;
      }
      if (found) {
        modeling.updateModdleProperties(element, found, { value: value });
        return;
      }
      var created = moddle.create(SPIFF + "property", { name: name, value: value });
      if (!box) {
        box = moddle.create(SPIFF + "properties", { properties: [created] });
        created.$parent = box;
        addExt(element, bo, box);
      } else {
        created.$parent = box;
        modeling.updateModdleProperties(element, box, { properties: box.get("properties").concat([created]) });
      }
    }

    function eventDefinition(bo, type) {
      return (bo.get("eventDefinitions") || []).filter(function (d) { return is(d, type); })[0] || null;
    }

    function laneOf(element) {
      var lanes = registry.filter(function (e) { return is(e.businessObject, "bpmn:Lane"); });
      var found = null;
      lanes.forEach(function (lane) {
        var refs = lane.businessObject.get("flowNodeRef") || [];
        if (refs.indexOf(element.businessObject) !== -1) {
          found = lane; // child lanes come after their parents: the innermost wins
        }
      });
      return found;
    }

    function moveToLane(element, laneName) {
      var lane = registry.filter(function (e) {
        return is(e.businessObject, "bpmn:Lane") && e.businessObject.get("name") === laneName;
      })[0];
      if (!lane) {
        return;
      }
      var centre = element.y + element.height / 2;
      var target = lane.y + lane.height / 2;
      modeling.moveElements([element], { x: 0, y: Math.round(target - centre) });
    }

    function definitions() {
      return modeler.getDefinitions();
    }

    function messages() {
      return (definitions().get("rootElements") || []).filter(function (r) { return is(r, "bpmn:Message"); });
    }

    function setMessage(element, owner, name) {
      if (!name) {
        modeling.updateModdleProperties(element, owner, { messageRef: undefined });
        return;
      }
      var message = messages().filter(function (m) { return m.get("name") === name; })[0];
      if (!message) {
        var defs = definitions();
        var id = "message_" + name.replace(/[^A-Za-z0-9_]/g, "_");
        while (registry.get(id) || messages().some(function (m) { return m.id === id; })) {
          id += "_";
        }
        message = moddle.create("bpmn:Message", { id: id, name: name });
        message.$parent = defs;
        modeling.updateModdleProperties(element, defs, { rootElements: defs.get("rootElements").concat([message]) });
      }
      modeling.updateModdleProperties(element, owner, { messageRef: message });
    }

    function expression(body) {
      return body ? moddle.create("bpmn:FormalExpression", { body: body }) : undefined;
    }

    // ---- fields ----------------------------------------------------------------------------------

    function field(key, label, kind, value, apply, extra) {
      return { key: key, label: label, kind: kind, value: value || "", apply: apply, extra: extra || {} };
    }

    function fieldsFor(element) {
      var bo = element.businessObject;
      var fields = [];
      var isFlowNode = is(bo, "bpmn:FlowNode");
      var isActivity = is(bo, "bpmn:Activity");

      fields.push(field("id", t.id, "text", bo.id, function (value) {
        if (!ID_PATTERN.test(value)) {
          return t.id_invalid;
        }
        if (value !== bo.id && registry.get(value)) {
          return t.id_taken;
        }
        modeling.updateProperties(element, { id: value });
        return null;
      }));
      fields.push(field("name", t.name, "text", bo.get("name"), function (value) {
        modeling.updateLabel(element, value || null);
      }));
      if (isActivity && !is(bo, "bpmn:SubProcess")) {
        var type = bo.$type;
        fields.push(field("type", t.type, "select", type, function (value) {
          if (value && value !== type) {
            var created = replace.replaceElement(element, { type: value });
            modeler.get("selection").select(created);
          }
        }, { options: (options.taskTypes || []).map(function (p) { return [p[0], p[1]]; }) }));
      }
      if (is(bo, "bpmn:Lane")) {
        fields[1].extra.list = options.lanes;
      }
      if (isFlowNode) {
        var lane = laneOf(element);
        var laneNames = registry
          .filter(function (e) { return is(e.businessObject, "bpmn:Lane"); })
          .map(function (e) { return e.businessObject.get("name") || ""; })
          .filter(function (n) { return n; });
        if (laneNames.length) {
          fields.push(field("lane", t.lane, "select", lane ? lane.businessObject.get("name") : "", function (value) {
            moveToLane(element, value);
          }, { options: [["", t.none]].concat(laneNames.map(function (n) { return [n, n]; })) }));
        }
      }
      if (is(bo, "bpmn:UserTask")) {
        fields.push(field("form", t.form, "select", prop(bo, "formJsonSchemaFilename"), function (value) {
          setProp(element, bo, "formJsonSchemaFilename", value);
        }, { options: choices(options.forms, prop(bo, "formJsonSchemaFilename")) }));
        fields.push(field("ui_form", t.ui_form, "select", prop(bo, "formUiSchemaFilename"), function (value) {
          setProp(element, bo, "formUiSchemaFilename", value);
        }, { options: choices(options.uiForms, prop(bo, "formUiSchemaFilename")) }));
      }
      if (is(bo, "bpmn:UserTask") || is(bo, "bpmn:ManualTask") || bo.$type === "bpmn:Task") {
        fields.push(field("instructions", t.instructions, "textarea", extText(bo, "instructionsForEndUser"), function (value) {
          setExtText(element, bo, "instructionsForEndUser", value);
        }));
      }
      if (is(bo, "bpmn:ScriptTask")) {
        fields.push(field("script", t.script, "code", bo.get("script"), function (value) {
          modeling.updateProperties(element, { script: value || undefined, scriptFormat: value ? "python" : undefined });
        }));
      }
      if (is(bo, "bpmn:ServiceTask")) {
        var operator = findExt(bo, SPIFF + "serviceTaskOperator");
        fields.push(field("operator", t.operator, "text", operator ? operator.get("id") : "", function (value) {
          if (operator) {
            modeling.updateModdleProperties(element, operator, { id: value });
          } else if (value) {
            addExt(element, bo, moddle.create(SPIFF + "serviceTaskOperator", { id: value }));
          }
        }));
        if (operator) {
          fields.push(field("result_variable", t.result_variable, "text", operator.get("resultVariable"), function (value) {
            modeling.updateModdleProperties(element, operator, { resultVariable: value || undefined });
          }));
        }
      }
      if (is(bo, "bpmn:BusinessRuleTask")) {
        fields.push(field("called_decision", t.called_decision, "text", extText(bo, "calledDecisionId"), function (value) {
          setExtText(element, bo, "calledDecisionId", value);
        }));
      }
      if (is(bo, "bpmn:CallActivity")) {
        fields.push(field("called_element", t.called_element, "text", bo.get("calledElement"), function (value) {
          modeling.updateProperties(element, { calledElement: value || undefined });
        }));
      }
      if (isActivity) {
        fields.push(field("pre_script", t.pre_script, "code", extText(bo, "preScript"), function (value) {
          setExtText(element, bo, "preScript", value);
        }));
        fields.push(field("post_script", t.post_script, "code", extText(bo, "postScript"), function (value) {
          setExtText(element, bo, "postScript", value);
        }));
      }
      if (is(bo, "bpmn:Event")) {
        timerFields(element, bo, fields);
        messageFields(element, bo, eventDefinition(bo, "bpmn:MessageEventDefinition"), fields);
      }
      if (is(bo, "bpmn:ReceiveTask") || is(bo, "bpmn:SendTask")) {
        messageFields(element, bo, bo, fields);
      }
      if (is(bo, "bpmn:SequenceFlow")) {
        var condition = bo.get("conditionExpression");
        fields.push(field("condition", t.condition, "code", condition ? condition.get("body") : "", function (value) {
          modeling.updateProperties(element, { conditionExpression: expression(value) });
        }));
      }
      if (is(bo, "bpmn:ExclusiveGateway") || is(bo, "bpmn:InclusiveGateway")) {
        fields.push(field("loop_bound", t.loop_bound, "text", prop(bo, "maxLoopCount"), function (value) {
          setProp(element, bo, "maxLoopCount", value);
        }));
      }
      if (is(bo, "bpmn:BaseElement") && !is(bo, "bpmn:Lane") && !is(bo, "bpmn:Participant")) {
        var docs = bo.get("documentation") || [];
        fields.push(field("documentation", t.documentation, "textarea", docs.length ? docs[0].get("text") : "", function (value) {
          var created = value ? [moddle.create("bpmn:Documentation", { text: value })] : [];
          modeling.updateProperties(element, { documentation: created });
        }));
      }
      if (isFlowNode) {
        otherProperties(element, bo, fields);
      }
      return fields;
    }

    function choices(names, currentValue) {
      var list = [["", t.none]].concat((names || []).map(function (n) { return [n, n]; }));
      if (currentValue && (names || []).indexOf(currentValue) === -1) {
        list.push([currentValue, currentValue]);
      }
      return list;
    }

    function timerFields(element, bo, fields) {
      var timer = eventDefinition(bo, "bpmn:TimerEventDefinition");
      if (!timer) {
        return;
      }
      var kinds = ["timeDuration", "timeDate", "timeCycle"];
      var kind = kinds.filter(function (k) { return timer.get(k); })[0] || "timeDuration";
      var body = timer.get(kind) ? timer.get(kind).get("body") || "" : "";
      function write(newKind, text) {
        var values = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
        values[newKind] = expression(text);
        modeling.updateModdleProperties(element, timer, values);
      }
      fields.push(field("timer_kind", t.timer_kind, "select", kind, function (value) {
        write(value, body);
      }, { options: [["timeDuration", t.duration], ["timeDate", t.date], ["timeCycle", t.cycle]] }));
      fields.push(field("timer_expression", t.timer_expression, "text", body, function (value) {
        write(kind, value);
      }, { help: t.timer_help }));
    }

    function messageFields(element, bo, owner, fields) {
      if (!owner) {
        return;
      }
      var message = owner.get("messageRef");
      fields.push(field("message", t.message, "text", message ? message.get("name") : "", function (value) {
        setMessage(element, owner, value.trim());
      }, { list: messages().map(function (m) { return m.get("name"); }) }));
      var catching = is(bo, "bpmn:CatchEvent") || is(bo, "bpmn:ReceiveTask");
      if (catching) {
        fields.push(field("message_variable", t.message_variable, "text", extText(owner, "messageVariable"), function (value) {
          setExtText(element, owner, "messageVariable", value);
        }));
      } else {
        fields.push(field("message_payload", t.message_payload, "code", extText(owner, "messagePayload"), function (value) {
          setExtText(element, owner, "messagePayload", value);
        }));
      }
    }

    function otherProperties(element, bo, fields) {
      properties(bo).forEach(function (p) {
        var name = p.get("name") || "";
        if (FORM_PROPS.indexOf(name) !== -1 || name === "maxLoopCount") {
          return;
        }
        fields.push(field("prop:" + name, name, "text", p.get("value"), function (value) {
          setProp(element, bo, name, value);
        }, { group: t.properties }));
      });
      if (!readOnly) {
        fields.push({ key: "add_property", kind: "add", label: t.add_property, apply: function (name, value) {
          if (name && value && ID_PATTERN.test(name)) {
            setProp(element, bo, name, value);
          }
        } });
      }
    }

    // ---- rendering ---------------------------------------------------------------------------

    function control(f, id) {
      var attrs = { id: id, name: f.key, "data-field": f.key, disabled: readOnly };
      var node;
      if (f.kind === "select") {
        node = el("select", attrs, f.extra.options.map(function (o) {
          return el("option", { value: o[0], text: o[1], selected: o[0] === f.value });
        }));
      } else if (f.kind === "textarea" || f.kind === "code") {
        attrs.rows = f.kind === "code" ? 4 : 3;
        attrs.spellcheck = f.kind === "code" ? "false" : null;
        attrs["class"] = f.kind === "code" ? "code" : null;
        node = el("textarea", attrs);
        node.value = f.value;
      } else {
        attrs.type = "text";
        if (f.extra.list) {
          attrs.list = id + "-list";
        }
        node = el("input", attrs);
        node.value = f.value;
      }
      return node;
    }

    function fieldNode(f, index) {
      var id = "prop-" + index + "-" + f.key.replace(/[^A-Za-z0-9_-]/g, "_");
      if (f.kind === "add") {
        var nameInput = el("input", { type: "text", id: id + "-name", "aria-label": t.property_name, placeholder: t.property_name, "data-field": "add_property_name" });
        var valueInput = el("input", { type: "text", id: id + "-value", "aria-label": t.property_value, placeholder: t.property_value, "data-field": "add_property_value" });
        var button = el("button", { type: "button", "class": "button button--small", text: f.label, "data-field": "add_property" });
        button.addEventListener("click", function () {
          f.apply(nameInput.value.trim(), valueInput.value.trim());
        });
        return el("div", { "class": "panel-field panel-field--add" }, [nameInput, valueInput, button]);
      }
      var input = control(f, id);
      var error = el("p", { "class": "field__error", id: id + "-error", hidden: true });
      if (!readOnly) {
        input.addEventListener("change", function () {
          var problem = f.apply(input.value);
          if (typeof problem === "string" && problem) {
            error.textContent = problem;
            error.hidden = false;
          }
        });
      }
      var children = [el("label", { "for": id, text: f.label }), input];
      if (f.extra.list) {
        children.push(el("datalist", { id: id + "-list" }, f.extra.list.map(function (n) { return el("option", { value: n }); })));
      }
      if (f.extra.help) {
        children.push(el("p", { "class": "field__help", text: f.extra.help }));
      }
      children.push(error);
      return el("div", { "class": "panel-field", "data-testid": "panel-" + f.key }, children);
    }

    function render(element) {
      current = element || null;
      var focused = document.activeElement && container.contains(document.activeElement)
        ? document.activeElement.getAttribute("data-field") : null;
      container.textContent = "";
      if (!element || !element.businessObject || element.type === "label") {
        container.appendChild(el("p", { "class": "muted", text: t.nothing_selected }));
        return;
      }
      var bo = element.businessObject;
      container.appendChild(el("h2", { "class": "panel-title", text: (bo.get("name") || bo.id) }));
      container.appendChild(el("p", { "class": "muted small", text: bo.$type.replace("bpmn:", "") }));
      var found = issues[bo.id] || [];
      if (found.length) {
        container.appendChild(el("div", { "class": "panel-issues", "data-testid": "panel-issues" }, [
          el("p", { text: t.issue_here }),
          el("ul", {}, found.map(function (i) {
            return el("li", { "class": "panel-issue panel-issue--" + i.severity, text: i.message });
          }))
        ]));
      }
      var group = null;
      fieldsFor(element).forEach(function (f, index) {
        if (f.extra && f.extra.group && f.extra.group !== group) {
          group = f.extra.group;
          container.appendChild(el("h3", { "class": "panel-group", text: group }));
        }
        container.appendChild(fieldNode(f, index));
      });
      if (focused) {
        var again = container.querySelector('[data-field="' + focused + '"]');
        if (again) {
          again.focus();
        }
      }
    }

    if (readOnly) {
      modeler.on("element.click", function (event) { render(event.element); });
    } else {
      modeler.on("selection.changed", function (event) { render(event.newSelection.length === 1 ? event.newSelection[0] : null); });
      modeler.on("elements.changed", function (event) {
        if (current && event.elements.some(function (e) { return e.id === current.id || e === current; })) {
          render(registry.get(current.id) || null);
        }
      });
    }

    return {
      render: render,
      showIssues: function (byElement) {
        issues = byElement || {};
        if (current) {
          render(registry.get(current.id) || null);
        }
      }
    };
  };
})();
