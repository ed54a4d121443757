// HTTP helpers every route uses: CSV tables, cursor pagination.
export { FormatQuery, csvCell, negotiate, plainNumber, sendTable, toCsv, wantsCsv, type CsvColumn, type Table } from './csv.ts'
export { DEFAULT_LIMIT, MAX_LIMIT, NextCursor, PageQuery, decodeCursor, encodeCursor, pageInMemory, pageOf, pageRequest, type PageRequest } from './pagination.ts'
