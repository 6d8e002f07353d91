/**
 * Top-k selection that picks exactly the entries PyTorch's CPU `torch.topk(largest=True)` picks, ties
 * included. PyTorch fills a vector of (value, index) pairs and calls libstdc++'s `std::nth_element` with
 * "x.value > y.value"; the first k slots are the selection. Among equal values (AbsTopK on a row with
 * fewer than k nonzeros keeps some zeros) the choice decides which entries pass gradient, so we replay
 * the same introselect: median-of-three unguarded partitions, heap-select when the depth limit runs out,
 * insertion sort for the last ≤ 3 elements.
 */
export class TorchTopK {
  private vals: Float64Array;
  private idx: Int32Array;

  constructor(capacity: number) {
    this.vals = new Float64Array(capacity);
    this.idx = new Int32Array(capacity);
  }

  /** Marks kept[offset + j] = 1 for the k selected positions j of values[0..n) (others 0). */
  select(values: ArrayLike<number>, n: number, k: number, kept: Uint8Array, offset: number): void {
    if (this.vals.length < n) {
      this.vals = new Float64Array(n);
      this.idx = new Int32Array(n);
    }
    const v = this.vals;
    const ix = this.idx;
    for (let j = 0; j < n; j++) {
      v[j] = values[j];
      ix[j] = j;
    }
    kept.fill(0, offset, offset + n);
    if (k <= 0) return;
    if (k < n) introselect(v, ix, 0, k - 1, n, 2 * Math.floor(Math.log2(n)));
    for (let j = 0; j < k; j++) kept[offset + ix[j]] = 1;
  }
}

// comp(a, b) = a > b (NaN first, as torch's comparator).
function gt(a: number, b: number): boolean {
  return (Number.isNaN(a) && !Number.isNaN(b)) || a > b;
}

function swap(v: Float64Array, ix: Int32Array, a: number, b: number): void {
  const tv = v[a];
  v[a] = v[b];
  v[b] = tv;
  const ti = ix[a];
  ix[a] = ix[b];
  ix[b] = ti;
}

function introselect(
  v: Float64Array,
  ix: Int32Array,
  first: number,
  nth: number,
  last: number,
  depth: number,
): void {
  while (last - first > 3) {
    if (depth === 0) {
      heapSelect(v, ix, first, nth + 1, last);
      swap(v, ix, first, nth);
      return;
    }
    depth--;
    const cut = partitionPivot(v, ix, first, last);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(v, ix, first, last);
}

function partitionPivot(v: Float64Array, ix: Int32Array, first: number, last: number): number {
  const mid = first + Math.floor((last - first) / 2);
  moveMedianToFirst(v, ix, first, first + 1, mid, last - 1);
  // Unguarded partition of [first+1, last) around the pivot now at `first`.
  let lo = first + 1;
  let hi = last;
  for (;;) {
    while (gt(v[lo], v[first])) lo++;
    hi--;
    while (gt(v[first], v[hi])) hi--;
    if (!(lo < hi)) return lo;
    swap(v, ix, lo, hi);
    lo++;
  }
}

function moveMedianToFirst(
  v: Float64Array,
  ix: Int32Array,
  result: number,
  a: number,
  b: number,
  c: number,
): void {
  if (gt(v[a], v[b])) {
    if (gt(v[b], v[c])) swap(v, ix, result, b);
    else if (gt(v[a], v[c])) swap(v, ix, result, c);
    else swap(v, ix, result, a);
  } else if (gt(v[a], v[c])) swap(v, ix, result, a);
  else if (gt(v[b], v[c])) swap(v, ix, result, c);
  else swap(v, ix, result, b);
}

function insertionSort(v: Float64Array, ix: Int32Array, first: number, last: number): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    const val = v[i];
    const id = ix[i];
    if (gt(val, v[first])) {
      for (let j = i; j > first; j--) {
        v[j] = v[j - 1];
        ix[j] = ix[j - 1];
      }
      v[first] = val;
      ix[first] = id;
    } else {
      let j = i;
      while (gt(val, v[j - 1])) {
        v[j] = v[j - 1];
        ix[j] = ix[j - 1];
        j--;
      }
      v[j] = val;
      ix[j] = id;
    }
  }
}

function heapSelect(v: Float64Array, ix: Int32Array, first: number, middle: number, last: number): void {
  makeHeap(v, ix, first, middle);
  for (let i = middle; i < last; i++) {
    if (gt(v[i], v[first])) {
      // pop_heap(first, middle, i): the element at i goes into the heap, the top goes to i.
      const val = v[i];
      const id = ix[i];
      v[i] = v[first];
      ix[i] = ix[first];
      adjustHeap(v, ix, first, 0, middle - first, val, id);
    }
  }
}

function makeHeap(v: Float64Array, ix: Int32Array, first: number, last: number): void {
  const len = last - first;
  if (len < 2) return;
  let parent = Math.floor((len - 2) / 2);
  for (;;) {
    adjustHeap(v, ix, first, parent, len, v[first + parent], ix[first + parent]);
    if (parent === 0) return;
    parent--;
  }
}

function adjustHeap(
  v: Float64Array,
  ix: Int32Array,
  first: number,
  hole: number,
  len: number,
  val: number,
  id: number,
): void {
  const top = hole;
  let child = hole;
  while (child < Math.floor((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (gt(v[first + child], v[first + child - 1])) child--;
    v[first + hole] = v[first + child];
    ix[first + hole] = ix[first + child];
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.floor((len - 2) / 2)) {
    child = 2 * (child + 1);
    v[first + hole] = v[first + child - 1];
    ix[first + hole] = ix[first + child - 1];
    hole = child - 1;
  }
  // push_heap
  let parent = Math.floor((hole - 1) / 2);
  while (hole > top && gt(v[first + parent], val)) {
    v[first + hole] = v[first + parent];
    ix[first + hole] = ix[first + parent];
    hole = parent;
    parent = Math.floor((hole - 1) / 2);
  }
  v[first + hole] = val;
  ix[first + hole] = id;
}
