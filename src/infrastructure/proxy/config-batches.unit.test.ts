import { Subject } from 'rxjs';
import { batchesOf } from './config-follower';

describe('batchesOf (how configuration events are batched)', () => {
  let batches: string[][];
  let events: Subject<string>;

  beforeEach(() => {
    jest.useFakeTimers();
    batches = [];
    events = new Subject<string>();
    events.pipe(batchesOf(50)).subscribe((batch) => batches.push(batch));
  });

  afterEach(() => {
    events.complete();
    jest.useRealTimers();
  });

  it('runs no timer while no event comes', () => {
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1_000);
    expect(batches).toEqual([]);
  });

  it('hands over the events of 50 ms from the first one as one batch', () => {
    events.next('a');
    jest.advanceTimersByTime(20);
    events.next('b');
    jest.advanceTimersByTime(20);
    events.next('c');
    expect(batches).toEqual([]);
    jest.advanceTimersByTime(10);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('starts a new batch with the next event, and stops its timers once idle again', () => {
    events.next('a');
    jest.advanceTimersByTime(50);
    events.next('b');
    jest.advanceTimersByTime(50);
    expect(batches).toEqual([['a'], ['b']]);
    jest.advanceTimersByTime(200);
    expect(jest.getTimerCount()).toBe(0);
    expect(batches).toEqual([['a'], ['b']]);
  });

  it('hands over what is left when the events end', () => {
    events.next('a');
    events.complete();
    expect(batches).toEqual([['a']]);
  });
});
