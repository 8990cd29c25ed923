const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl<'de> _codec::Decode<'de> for StoreRequest {
        const MIN_LEN: usize = 0 + <u8 as _codec::Decode<'de>>::MIN_LEN + 1usize
            + 2usize;
        #[inline]
        fn decode_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::wire::Endian,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            let trans: u8 = _codec::__private::decode_ctx(
                <u8 as _codec::Decode<'de>>::decode_with(__r, _codec::wire::Endian::Big),
                "StoreRequest",
                "trans",
            )?;
            let name: String = _codec::__private::decode_ctx(
                (_codec::__private::read_len(
                    __r,
                    _codec::wire::LenPrefix::U8,
                    _codec::wire::Endian::Big,
                ))
                    .and_then(|__n| <String as _codec::DecodeSeq<
                        'de,
                    >>::decode_seq(
                        __r,
                        __n,
                        _codec::wire::Unit::Elements,
                        _codec::wire::Endian::Big,
                    )),
                "StoreRequest",
                "name",
            )?;
            let data: Vec<u8> = _codec::__private::decode_ctx(
                (_codec::__private::read_len(
                    __r,
                    _codec::wire::LenPrefix::U16,
                    _codec::wire::Endian::Big,
                ))
                    .and_then(|__n| <Vec<
                        u8,
                    > as _codec::DecodeSeq<
                        'de,
                    >>::decode_seq(
                        __r,
                        __n,
                        _codec::wire::Unit::Elements,
                        _codec::wire::Endian::Big,
                    )),
                "StoreRequest",
                "data",
            )?;
            _codec::__private::Ok(Self {
                trans: trans,
                name: name,
                data: data,
            })
        }
        fn explain_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::wire::Endian,
            __out: &mut _codec::Explainer,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            __out.push("trans");
            let trans: u8 = _codec::__private::decode_ctx(
                <u8 as _codec::Decode<
                    'de,
                >>::explain_with(__r, _codec::wire::Endian::Big, __out),
                "StoreRequest",
                "trans",
            )?;
            __out.pop();
            __out.push("name");
            let name: String = _codec::__private::decode_ctx(
                ({
                    __out.push("len");
                    let __v = _codec::decode::explain_leaf(
                        __r,
                        __out,
                        |__r| _codec::__private::read_len(
                            __r,
                            _codec::wire::LenPrefix::U8,
                            _codec::wire::Endian::Big,
                        ),
                    );
                    __out.pop();
                    __v
                })
                    .and_then(|__n| <String as _codec::DecodeSeq<
                        'de,
                    >>::explain_seq(
                        __r,
                        __n,
                        _codec::wire::Unit::Elements,
                        _codec::wire::Endian::Big,
                        __out,
                    )),
                "StoreRequest",
                "name",
            )?;
            __out.pop();
            __out.push("data");
            let data: Vec<u8> = _codec::__private::decode_ctx(
                ({
                    __out.push("len");
                    let __v = _codec::decode::explain_leaf(
                        __r,
                        __out,
                        |__r| _codec::__private::read_len(
                            __r,
                            _codec::wire::LenPrefix::U16,
                            _codec::wire::Endian::Big,
                        ),
                    );
                    __out.pop();
                    __v
                })
                    .and_then(|__n| <Vec<
                        u8,
                    > as _codec::DecodeSeq<
                        'de,
                    >>::explain_seq(
                        __r,
                        __n,
                        _codec::wire::Unit::Elements,
                        _codec::wire::Endian::Big,
                        __out,
                    )),
                "StoreRequest",
                "data",
            )?;
            __out.pop();
            _codec::__private::Ok(Self {
                trans: trans,
                name: name,
                data: data,
            })
        }
    }
};
