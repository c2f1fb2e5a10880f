import { useEffect, useState, type RefObject } from 'react';

/** Rows rendered beyond the viewport on either side: Tab and the arrow keys reach them before they are needed. */
const OVERSCAN = 8;
/** A list this short is rendered whole: windowing pays only for long ones. */
const RENDER_WHOLE = 60;
/** Until a row has been measured. */
const ESTIMATED_ROW_PX = 56;

type View = Readonly<{ firstVisible: number; visibleRows: number; rowPx: number; measured: boolean }>;

export type RowWindow = Readonly<{ start: number; end: number; before: number; after: number }>;

/**
 * Which of `count` table rows to render: those in the viewport (the page scrolls, not the table)
 * and OVERSCAN on either side, with the height of the rows left out above (`before`) and below
 * (`after`) for spacer rows, so the scroll bar and the page's length are those of the whole table.
 * Row heights are measured from the rendered rows (their average) after the row count changes,
 * on scroll and on resize. Spacer rows have the class `spacer`.
 *
 * The rendering cost of a keystroke in the tool table is then the rows in the window, not the
 * rows that match (2,000 tools: up to 2,000 rows mounted and laid out on one keystroke).
 */
export const useRowWindow = (count: number, body: RefObject<HTMLTableSectionElement | null>): RowWindow => {
  const [view, setView] = useState<View>(() => ({ firstVisible: 0, visibleRows: Math.ceil(window.innerHeight / ESTIMATED_ROW_PX), rowPx: ESTIMATED_ROW_PX, measured: false }));

  useEffect(() => {
    const measure = () => {
      const element = body.current;
      if (element === null) return;
      const rows = element.querySelectorAll<HTMLTableRowElement>(':scope > tr:not(.spacer)');
      setView((current) => {
        let rowPx = current.rowPx;
        if (rows.length > 0) {
          const span = rows[rows.length - 1].getBoundingClientRect().bottom - rows[0].getBoundingClientRect().top;
          const measured = Math.max(16, Math.round(span / rows.length));
          // Rows differ a little (a description of one line or three): a new average within 10% changes nothing, so a keystroke renders once.
          if (span > 0 && (!current.measured || Math.abs(measured - rowPx) > rowPx / 10)) rowPx = measured;
        }
        const firstVisible = Math.max(0, Math.floor(-element.getBoundingClientRect().top / rowPx));
        const visibleRows = Math.ceil(window.innerHeight / rowPx);
        const measured = current.measured || rows.length > 0;
        return firstVisible === current.firstVisible && visibleRows === current.visibleRows && rowPx === current.rowPx && measured === current.measured
          ? current
          : { firstVisible, visibleRows, rowPx, measured };
      });
    };
    // In the next frame, before its layout: not in the keystroke that changed the rows (React runs
    // this effect of a discrete input event synchronously), and no layout of its own.
    const frame = requestAnimationFrame(measure);
    window.addEventListener('scroll', measure, { passive: true });
    window.addEventListener('resize', measure);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', measure);
      window.removeEventListener('resize', measure);
    };
  }, [body, count]);

  if (count <= RENDER_WHOLE) return { start: 0, end: count, before: 0, after: 0 };
  // A narrower search shortens the page; until the browser's scroll follows, keep the last rows in the window.
  const start = Math.max(0, Math.min(view.firstVisible - OVERSCAN, count - view.visibleRows - 2 * OVERSCAN));
  const end = Math.min(count, view.firstVisible + view.visibleRows + OVERSCAN);
  const last = Math.max(end, Math.min(count, start + view.visibleRows + 2 * OVERSCAN));
  return { start, end: last, before: start * view.rowPx, after: (count - last) * view.rowPx };
};
