/* The spiffworkflow BPMN extension (http://spiffworkflow.org/bpmn/schema/1.0/core) as a moddle
   descriptor, so bpmn-js keeps these elements when it saves and our properties panel can edit them.
   Element names are the ones SpiffArena's modeler writes and our engine reads. */
(function () {
  "use strict";

  function body(name, prop) {
    return { name: name, superClass: ["Element"], properties: [{ name: prop, isBody: true, type: "String" }] };
  }

  function attrs(name, names) {
    return {
      name: name,
      superClass: ["Element"],
      properties: names.map(function (n) { return { name: n, isAttr: true, type: "String" }; })
    };
  }

  window.AuttamoSpiffworkflowModdle = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    associations: [],
    types: [
      body("preScript", "value"),
      body("postScript", "value"),
      body("instructionsForEndUser", "value"),
      body("messagePayload", "value"),
      body("messageVariable", "value"),
      body("calledDecisionId", "value"),
      body("signalPayload", "value"),
      body("variableName", "value"),
      {
        name: "properties",
        superClass: ["Element"],
        properties: [{ name: "properties", type: "property", isMany: true }]
      },
      attrs("property", ["name", "value"]),
      {
        name: "serviceTaskOperator",
        superClass: ["Element"],
        properties: [
          { name: "id", isAttr: true, type: "String" },
          { name: "resultVariable", isAttr: true, type: "String" },
          { name: "parameterList", type: "parameters" }
        ]
      },
      {
        name: "parameters",
        superClass: ["Element"],
        properties: [{ name: "parameters", type: "parameter", isMany: true }]
      },
      attrs("parameter", ["id", "name", "type", "value"])
    ]
  };
})();
