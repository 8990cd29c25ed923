const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl<'de: 'a, 'a> Packet<'a> {
        #[inline(always)]
        fn __codec_decode(
            __r: &mut _codec::Reader<'de>,
            __whole: _codec::__private::bool,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            let tag: u64 = _codec::__private::decode_ctx(
                _codec::__private::read_base128::<u64>(__r, true),
                "Packet",
                "tag",
            )?;
            let flags: u64 = _codec::__private::decode_ctx(
                _codec::__private::read_base128::<u64>(__r, true),
                "Packet",
                "flags",
            )?;
            let channel: Option<u64> = _codec::__private::decode_ctx(
                if flags & 1 != 0 {
                    (_codec::__private::read_base128::<u64>(__r, true))
                        .map(_codec::__private::Some)
                } else {
                    _codec::__private::Ok(_codec::__private::None)
                },
                "Packet",
                "channel",
            )?;
            let payload: &'a [u8] = _codec::__private::decode_ctx(
                <&'a [u8] as _codec::DecodeSeq<
                    'de,
                >>::decode_rest(__r, _codec::Endian::Big),
                "Packet",
                "payload",
            )?;
            if __whole {
                __r.finish()?;
            }
            _codec::__private::Ok(Self {
                tag: tag,
                flags: flags,
                channel: channel,
                payload: payload,
            })
        }
    }
    #[automatically_derived]
    impl<'de: 'a, 'a> _codec::Decode<'de> for Packet<'a> {
        const MIN_LEN: _codec::__private::usize = 0 + 1 + 1 + 0 + 0;
        #[inline]
        fn decode_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::Endian,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            Self::__codec_decode(__r, false)
        }
        #[inline]
        fn from_bytes(
            __bytes: &'de [_codec::__private::u8],
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            Self::__codec_decode(&mut _codec::Reader::new(__bytes), true)
        }
        fn explain_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::Endian,
            __out: &mut _codec::Explainer,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            __out.push("tag");
            let tag: u64 = _codec::__private::decode_ctx(
                _codec::__private::explain_leaf(
                    __r,
                    __out,
                    |__r| { _codec::__private::read_base128::<u64>(__r, true) },
                ),
                "Packet",
                "tag",
            )?;
            __out.pop();
            __out.push("flags");
            let flags: u64 = _codec::__private::decode_ctx(
                _codec::__private::explain_leaf(
                    __r,
                    __out,
                    |__r| { _codec::__private::read_base128::<u64>(__r, true) },
                ),
                "Packet",
                "flags",
            )?;
            __out.pop();
            __out.push("channel");
            let channel: Option<u64> = _codec::__private::decode_ctx(
                if flags & 1 != 0 {
                    (_codec::__private::explain_leaf(
                        __r,
                        __out,
                        |__r| { _codec::__private::read_base128::<u64>(__r, true) },
                    ))
                        .map(_codec::__private::Some)
                } else {
                    _codec::__private::Ok(_codec::__private::None)
                },
                "Packet",
                "channel",
            )?;
            __out.pop();
            __out.push("payload");
            let payload: &'a [u8] = _codec::__private::decode_ctx(
                {
                    let __n = __r.remaining();
                    <&'a [u8] as _codec::DecodeSeq<
                        'de,
                    >>::explain_seq(
                        __r,
                        __n,
                        _codec::__private::Unit::Bytes,
                        _codec::Endian::Big,
                        __out,
                    )
                },
                "Packet",
                "payload",
            )?;
            __out.pop();
            _codec::__private::Ok(Self {
                tag: tag,
                flags: flags,
                channel: channel,
                payload: payload,
            })
        }
    }
};
