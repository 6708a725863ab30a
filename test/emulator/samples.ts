/**
 * Sample files for the demo and for `npm run emulator -- --sample`: a realistic mix of small
 * text and CSV, a 1 MB file, a 50 MB generated file, an empty file, accented and EDI-like names.
 */
import type { Emulator, EmulatorFile, EmulatorFileInput } from './server.js';

const CSV_ROWS = ['data;cliente;valor', '2026-03-01;ACME Ltda;1520,00', '2026-03-02;Padaria São João;87,35', '2026-03-03;Transportes Ágil;2310,90'];

function csv(rows: number): string {
  const lines = [CSV_ROWS[0] ?? ''];
  for (let i = 0; i < rows; i += 1) lines.push(CSV_ROWS[1 + (i % 3)] ?? '');
  return `${lines.join('\r\n')}\r\n`;
}

/** The sample inputs, in the order they are added (so ids are stable across runs). */
export function sampleFileInputs(): EmulatorFileInput[] {
  const readme = 'Arquivos de exemplo do emulador DirectLink.\nCada download move o arquivo para o backup.\n'.repeat(40);
  const edi = Array.from({ length: 60 }, (_, i) => `000${String(i).padStart(5, '0')}OCORRENCIA ENTREGA REALIZADA NORMALMENTE      20260302091500`).join('\r\n');
  return [
    { name: 'LEIAME.txt', content: readme },
    { name: 'vendas-2026-02.csv', content: csv(120) },
    { name: 'relatório-março.csv', content: csv(80) },
    { name: 'OCOREN_PROCEDA_20260302_0915.TXT', content: `${edi}\r\n` },
    { name: 'NF-2026-03-000123.xml', content: '<?xml version="1.0" encoding="UTF-8"?>\n<nfeProc versao="4.00"><NFe/></nfeProc>\n' },
    { name: 'extrato-1mb.bin', generated: { size: 1_000_000, seed: 1 } },
    { name: 'backup-completo-50mb.zip', generated: { size: 50 * 1024 * 1024, seed: 50 } },
    { name: 'vazio.txt', content: '' },
  ];
}

/** Add the sample files to a user's area; returns what was added. */
export function addSampleFiles(emu: Emulator, user: string): EmulatorFile[] {
  return emu.addFiles(user, sampleFileInputs());
}
