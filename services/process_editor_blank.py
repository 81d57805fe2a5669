"""The first file of a new process: the four standard lanes, a start and an end event, and the
diagram information bpmn-js needs to show them."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

_LANES = ("Intake", "Caseworker", "Decider", "Supervisor")


def blank_bpmn(process_id: str, name: str) -> str:
    """A new process: the four lanes, a start and an end event, with a diagram bpmn-js can show."""
    lane_xml = "".join(
        f'<bpmn:lane id="lane_{lane.lower()}" name="{lane}">'
        + ("<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>" if i == 1 else "")
        + "</bpmn:lane>"
        for i, lane in enumerate(_LANES)
    )
    lane_di = "".join(
        f'<bpmndi:BPMNShape id="lane_{lane.lower()}_di" bpmnElement="lane_{lane.lower()}" isHorizontal="true">'
        f'<dc:Bounds x="190" y="{80 + 150 * i}" width="870" height="150"/></bpmndi:BPMNShape>'
        for i, lane in enumerate(_LANES)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        f'id="definitions_{process_id}" targetNamespace="http://auttamo.example/bpmn">'
        f'<bpmn:collaboration id="collaboration_{process_id}">'
        f'<bpmn:participant id="participant_{process_id}" name={quoteattr(name)} processRef="{process_id}"/>'
        "</bpmn:collaboration>"
        f'<bpmn:process id="{process_id}" name={quoteattr(name)} isExecutable="true">'
        f'<bpmn:laneSet id="lanes_{process_id}">{lane_xml}</bpmn:laneSet>'
        '<bpmn:startEvent id="start" name="Started"><bpmn:outgoing>flow_start_end</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:endEvent id="end" name="Done"><bpmn:incoming>flow_start_end</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="flow_start_end" sourceRef="start" targetRef="end"/>'
        "</bpmn:process>"
        f'<bpmndi:BPMNDiagram id="diagram_{process_id}">'
        f'<bpmndi:BPMNPlane id="plane_{process_id}" bpmnElement="collaboration_{process_id}">'
        f'<bpmndi:BPMNShape id="participant_{process_id}_di" bpmnElement="participant_{process_id}" '
        'isHorizontal="true"><dc:Bounds x="160" y="80" width="900" height="600"/></bpmndi:BPMNShape>'
        f"{lane_di}"
        '<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="242" y="287" width="36" height="36"/>'
        "</bpmndi:BPMNShape>"
        '<bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="902" y="287" width="36" height="36"/>'
        "</bpmndi:BPMNShape>"
        '<bpmndi:BPMNEdge id="flow_start_end_di" bpmnElement="flow_start_end">'
        '<di:waypoint x="278" y="305"/><di:waypoint x="902" y="305"/></bpmndi:BPMNEdge>'
        "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>\n"
    )
