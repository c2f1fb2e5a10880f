import { useEffect, useState, type FocusEvent, type RefObject } from 'react';

/** Rows rendered beyond the viewport on either side: Tab and the arrow keys reach them before they are needed. */
const OVERSCAN = 8;
/** A list this short is rendered whole: windowing pays only for long ones. */
const RENDER_WHOLE = 60;
/** Until a row has been measured. */
const ESTIMATED_ROW_PX = 56;

type View = Readonly<{ firstVisible: number; visibleRows: number; rowPx: number; measured: boolean }>;

export type RowWindow = Readonly<{
  start: number;
  end: number;
  before: number;
  after: number;
  /** For the table body: the window keeps the focused row and the rows after it (Tab may outrun scrolling). */
  onFocus: (event: FocusEvent<HTMLTableSectionElement>) => void;
  onBlur: (event: FocusEvent<HTMLTableSectionElement>) => void;
}>;

/**
 * Which of `count` table rows to render: those in the viewport (the page scrolls, not the table)
 * and OVERSCAN on either side, with the height of the rows left out above (`before`) and below
 * (`after`) for spacer rows, so the scroll bar and the page's length are those of the whole table.
 * Row heights are measured from the rendered rows (their average) after the row count changes,
 * on scroll and on resize. Spacer rows have the class `spacer`; rendered rows carry `aria-rowindex`
 * (the header row is 1, so row i of the list is i + 2).
 *
 * The row that has the focus stays in the window with OVERSCAN rows after and before it, at once
 * (a React focus event renders synchronously): a held-down Tab reaches the next rows before the
 * browser's scroll and the scroll handler catch up.
 *
 * The rendering cost of a keystroke in the tool table is then the rows in the window, not the
 * rows that match (2,000 tools: up to 2,000 rows mounted and laid out on one keystroke).
 */
export const useRowWindow = (count: number, body: RefObject<HTMLTableSectionElement | null>): RowWindow => {
  const [focused, setFocused] = useState<number | null>(null);
  const [view, setView] = useState<View>(() => ({ firstVisible: 0, visibleRows: Math.ceil(window.innerHeight / ESTIMATED_ROW_PX), rowPx: ESTIMATED_ROW_PX, measured: false }));

  useEffect(() => {
    const measure = () => {
      const element = body.current;
      if (element === null) return;
      const rows = element.querySelectorAll<HTMLTableRowElement>(':scope > tr:not(.spacer)');
      const average = rows.length > 0 ? (rows[rows.length - 1].getBoundingClientRect().bottom - rows[0].getBoundingClientRect().top) / rows.length : 0;
      const above = -element.getBoundingClientRect().top;
      setView((current) => {
        // Rows differ a little (a description of one line or three): a new average within 10% changes nothing, so a keystroke renders once.
        const rowPx = average > 0 && (!current.measured || Math.abs(average - current.rowPx) > current.rowPx / 10) ? Math.max(16, Math.round(average)) : current.rowPx;
        const firstVisible = Math.max(0, Math.floor(above / rowPx));
        const visibleRows = Math.ceil(window.innerHeight / rowPx);
        const measured = current.measured || average > 0;
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

  const onFocus = (event: FocusEvent<HTMLTableSectionElement>) => {
    const row = (event.target as Element).closest('tr[aria-rowindex]');
    setFocused(row === null ? null : Number(row.getAttribute('aria-rowindex')) - 2);
  };
  const onBlur = (event: FocusEvent<HTMLTableSectionElement>) => {
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setFocused(null);
  };

  if (count <= RENDER_WHOLE) return { start: 0, end: count, before: 0, after: 0, onFocus, onBlur };
  // A narrower search shortens the page; until the browser's scroll follows, keep the last rows in the window.
  let start = Math.max(0, Math.min(view.firstVisible - OVERSCAN, count - view.visibleRows - 2 * OVERSCAN));
  let end = Math.max(Math.min(count, view.firstVisible + view.visibleRows + OVERSCAN), Math.min(count, start + view.visibleRows + 2 * OVERSCAN));
  // The focused row, when it is near the window (not one left behind by scrolling far away).
  const reach = view.visibleRows + 2 * OVERSCAN;
  if (focused !== null && focused < count && focused >= start - reach && focused < end + reach) {
    start = Math.max(0, Math.min(start, focused - OVERSCAN));
    end = Math.min(count, Math.max(end, focused + OVERSCAN + 1));
  }
  return { start, end, before: start * view.rowPx, after: (count - end) * view.rowPx, onFocus, onBlur };
};
