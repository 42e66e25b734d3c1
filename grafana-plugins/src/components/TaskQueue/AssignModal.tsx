import React, { useState } from 'react';
import { Button, Combobox, Field, Modal } from '@grafana/ui';
import type { Agent, Task } from '../../api';
import { assignableAgents } from '../../data/tasks';
import { TEST_IDS } from '../../testIds';

export interface AssignModalProps {
  task: Task;
  agents: readonly Agent[];
  /** The chosen agent, or undefined for the best available one (chosen by the sidecar at plan time). */
  onChoose: (agent: string | undefined) => void;
  onDismiss: () => void;
}

const BEST = '';

/** Step one of a manual assignment: which agent. Step two is the plan → apply dialog. */
export function AssignModal({ task, agents, onChoose, onDismiss }: AssignModalProps): React.JSX.Element {
  const [agent, setAgent] = useState(BEST);
  const capable = assignableAgents(agents).filter((a) =>
    task.required_capabilities.every((c) => a.capabilities.includes(c))
  );
  return (
    <Modal title={`Assign task ${task.id}: ${task.title}`} isOpen onDismiss={onDismiss}>
      <div data-testid={TEST_IDS.agentsPage.assignModal}>
        <Field
          label="Agent"
          description={
            task.required_capabilities.length
              ? `Agents with ${task.required_capabilities.join(', ')}, not draining, not down`
              : 'Agents not draining and not down'
          }
        >
          <Combobox
            id="lookout-assign-agent"
            data-testid={TEST_IDS.agentsPage.assignAgent}
            options={[
              { label: 'Best available (the sidecar chooses)', value: BEST },
              ...capable.map((a) => ({ label: `${a.name} (${a.status}, ${a.load}/${a.max_tasks})`, value: a.name })),
            ]}
            value={agent}
            onChange={(o) => setAgent(o.value)}
          />
        </Field>
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" onClick={onDismiss}>
            Cancel
          </Button>
          <Button data-testid={TEST_IDS.agentsPage.assignPlan} onClick={() => onChoose(agent || undefined)}>
            Plan the assignment
          </Button>
        </Modal.ButtonRow>
      </div>
    </Modal>
  );
}
