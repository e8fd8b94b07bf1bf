//! Newline-delimited framing with a hard cap on line length.
//!
//! Every message is one line of JSON. A peer that sends a line longer than the cap gets that
//! line reported as [`Frame::TooLong`] once its newline arrives; the bytes in between are
//! discarded as they come, so memory stays bounded by the cap and the stream stays in sync for
//! the next message. The same assembler drives the blocking and the tokio reader.

use std::io::{self, BufRead};

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Longest request line the daemon accepts: settings are the largest request, far below it.
pub const MAX_REQUEST_LINE: usize = 64 * 1024;
/// Longest response line a client accepts: room for every translation at the flow cap.
pub const MAX_RESPONSE_LINE: usize = 16 * 1024 * 1024;

/// One unit read from a stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete line, without its terminator (`\n` or `\r\n`).
    Line(Vec<u8>),
    /// A line longer than the cap; its bytes were discarded.
    TooLong,
    /// The peer closed the stream.
    Eof,
}

/// Splits a byte stream into capped lines; feed it chunks, get frames.
#[derive(Debug)]
pub struct LineAssembler {
    buf: Vec<u8>,
    max: usize,
    discarding: bool,
}

impl LineAssembler {
    /// An assembler that reports lines longer than `max` bytes as [`Frame::TooLong`].
    pub fn new(max: usize) -> Self {
        LineAssembler {
            buf: Vec::new(),
            max,
            discarding: false,
        }
    }

    /// Takes bytes from `chunk`; returns how many it used and the frame they completed, if any.
    fn feed(&mut self, chunk: &[u8]) -> (usize, Option<Frame>) {
        let Some(nl) = chunk.iter().position(|&b| b == b'\n') else {
            if !self.discarding && self.buf.len() + chunk.len() > self.max {
                self.discarding = true;
                self.buf = Vec::new();
            }
            if !self.discarding {
                self.buf.extend_from_slice(chunk);
            }
            return (chunk.len(), None);
        };
        let frame = if self.discarding || self.buf.len() + nl > self.max {
            self.discarding = false;
            self.buf = Vec::new();
            Frame::TooLong
        } else {
            self.buf.extend_from_slice(&chunk[..nl]);
            Frame::Line(self.take_line())
        };
        (nl + 1, Some(frame))
    }

    /// The frame at end of stream: a last unterminated line, or [`Frame::Eof`].
    fn finish(&mut self) -> Frame {
        if self.discarding {
            self.discarding = false;
            Frame::TooLong
        } else if self.buf.is_empty() {
            Frame::Eof
        } else {
            Frame::Line(self.take_line())
        }
    }

    fn take_line(&mut self) -> Vec<u8> {
        let mut line = std::mem::take(&mut self.buf);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        line
    }
}

/// Reads the next frame from a blocking reader.
pub fn read_frame(reader: &mut impl BufRead, assembler: &mut LineAssembler) -> io::Result<Frame> {
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(assembler.finish());
        }
        let (used, frame) = assembler.feed(chunk);
        reader.consume(used);
        if let Some(frame) = frame {
            return Ok(frame);
        }
    }
}

/// Reads the next frame from a tokio reader.
pub async fn read_frame_async<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    assembler: &mut LineAssembler,
) -> io::Result<Frame> {
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(assembler.finish());
        }
        let (used, frame) = assembler.feed(chunk);
        reader.consume(used);
        if let Some(frame) = frame {
            return Ok(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize, chunk: usize) -> Vec<Frame> {
        let mut reader = io::BufReader::with_capacity(chunk, input);
        let mut asm = LineAssembler::new(max);
        let mut out = Vec::new();
        loop {
            let f = read_frame(&mut reader, &mut asm).unwrap();
            if f == Frame::Eof {
                return out;
            }
            out.push(f);
        }
    }

    #[test]
    fn splits_lines_across_chunk_boundaries() {
        for chunk in [1, 2, 3, 64] {
            let got = frames(b"ab\ncd\r\n\nlast", 10, chunk);
            let want = vec![
                Frame::Line(b"ab".to_vec()),
                Frame::Line(b"cd".to_vec()),
                Frame::Line(vec![]),
                Frame::Line(b"last".to_vec()),
            ];
            assert_eq!(got, want, "chunk {chunk}");
        }
    }

    #[test]
    fn oversize_lines_are_reported_once_and_stream_stays_in_sync() {
        for chunk in [1, 4, 64] {
            let got = frames(b"12345\n123456\n1234567890123\nok\n", 5, chunk);
            let want = vec![
                Frame::Line(b"12345".to_vec()),
                Frame::TooLong,
                Frame::TooLong,
                Frame::Line(b"ok".to_vec()),
            ];
            assert_eq!(got, want, "chunk {chunk}");
        }
    }

    #[test]
    fn oversize_tail_without_newline_is_too_long() {
        assert_eq!(frames(b"toolongtail", 5, 3), vec![Frame::TooLong]);
    }

    #[tokio::test]
    async fn async_reader_matches_blocking_one() {
        let input: &[u8] = b"one\n0123456789\ntwo\n";
        let mut reader = tokio::io::BufReader::with_capacity(2, input);
        let mut asm = LineAssembler::new(5);
        let mut got = Vec::new();
        loop {
            match read_frame_async(&mut reader, &mut asm).await.unwrap() {
                Frame::Eof => break,
                f => got.push(f),
            }
        }
        assert_eq!(got, frames(input, 5, 2));
    }
}
