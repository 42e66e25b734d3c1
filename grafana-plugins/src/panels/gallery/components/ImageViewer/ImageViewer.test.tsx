import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeImage } from '../../../../test/fixtures';
import { ImageViewer } from './ImageViewer';

const items = [makeImage('a', 'g1'), makeImage('b', 'g2'), makeImage('c', 'g3')];

function Harness({ onClose }: { onClose: () => void }): React.JSX.Element {
  const [i, setI] = useState(0);
  return <ImageViewer items={items} index={i} onIndexChange={setI} onClose={onClose} />;
}

describe('ImageViewer', () => {
  it('steps with the arrow keys, stops at the ends and closes on Escape', async () => {
    const onClose = jest.fn();
    render(<Harness onClose={onClose} />);
    expect(screen.getByText(/1 \/ 3/)).toBeInTheDocument();
    await userEvent.keyboard('{ArrowLeft}');
    expect(screen.getByText(/1 \/ 3/)).toBeInTheDocument();
    await userEvent.keyboard('{ArrowRight}{ArrowRight}{ArrowRight}');
    expect(screen.getByText(/3 \/ 3 · generation g3/)).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'reliability g3' })).toHaveAttribute(
      'src',
      expect.stringContaining('/c/image')
    );
    await userEvent.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalled();
  });
});
